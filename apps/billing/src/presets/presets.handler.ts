import { Controller, Inject, Logger } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { InjectDataSource } from '@nestjs/typeorm';
import { BadRequestError, NotFoundError, type PresetChanged, presetsRequestSchema, subjects } from '@switchyard/contracts';
import { NatsService } from '@switchyard/nest-kit';
import type { DataSource } from 'typeorm';
import { AccountsRepository } from '../accounts/accounts.repository.js';
import { CLOCK, type Clock } from '../common/clock.js';
import { isUniqueViolation } from '../common/sql.js';
import { parseOrBadRequest } from '../common/validation.js';
import { PresetsRepository } from './presets.repository.js';

/** The most presets an account keeps (each with its versions). */
export const PRESETS_PER_ACCOUNT = 200;
/** The most bytes of one version's config and system prompt, as JSON. */
export const PRESET_MAX_BYTES = 256 * 1024;

/**
 * An account's presets (`sy.billing.presets.v1`, from ingress's `/api/v1/presets` routes): list, read, version
 * history, a new version, delete. After a change commits, `sy.billing.preset-changed.v1` tells every ingress replica
 * to forget its copy (they fetch the latest on the next request that names the preset).
 */
@Controller()
export class PresetsHandler {
  private readonly logger = new Logger('Presets');

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly presets: PresetsRepository,
    private readonly accounts: AccountsRepository,
    private readonly nats: NatsService,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @MessagePattern(subjects.billing.presets)
  async handle(@Payload() payload: unknown): Promise<unknown> {
    const request = parseOrBadRequest(presetsRequestSchema, payload, 'presets request');
    const { accountId } = request;
    switch (request.op) {
      case 'list':
        return { data: await this.presets.latestOfAccount(this.dataSource, accountId) };
      case 'get': {
        const preset = await this.presets.one(this.dataSource, accountId, request.slug, request.version);
        if (!preset) throw new NotFoundError(request.version === undefined ? `Preset '${request.slug}' not found` : `Preset '${request.slug}' has no version ${request.version}`, { preset: request.slug });
        return { data: preset };
      }
      case 'versions': {
        const versions = await this.presets.versions(this.dataSource, accountId, request.slug);
        if (versions.length === 0) throw new NotFoundError(`Preset '${request.slug}' not found`, { preset: request.slug });
        return { data: versions };
      }
      case 'create': {
        const body = {
          slug: request.slug,
          name: request.name ?? request.slug,
          description: request.description ?? null,
          system_prompt: request.system_prompt ?? null,
          config: request.config,
          cache_enabled: request.cache_enabled ?? null,
          cache_ttl_seconds: request.cache_ttl_seconds ?? null,
        };
        const size = Buffer.byteLength(JSON.stringify([body.config, body.system_prompt]));
        if (size > PRESET_MAX_BYTES) throw new BadRequestError(`A preset may hold at most ${PRESET_MAX_BYTES} bytes of configuration and system prompt; this one holds ${size}`);
        if (!(await this.accounts.exists(this.dataSource, accountId))) throw new NotFoundError(`Account ${accountId} not found`);
        const existing = await this.presets.latestOfAccount(this.dataSource, accountId);
        if (existing.length >= PRESETS_PER_ACCOUNT && !existing.some((preset) => preset.slug === request.slug)) {
          throw new BadRequestError(`An account keeps at most ${PRESETS_PER_ACCOUNT} presets; delete one first`);
        }
        const preset = await this.insertRetrying(accountId, body);
        this.announce({ accountId, slug: preset.slug, version: preset.version });
        return { data: preset };
      }
      case 'delete': {
        if (!(await this.presets.delete(this.dataSource, accountId, request.slug))) throw new NotFoundError(`Preset '${request.slug}' not found`, { preset: request.slug });
        this.announce({ accountId, slug: request.slug, version: null });
        return { deleted: true };
      }
    }
  }

  /** Two versions made at once race for one number: the loser takes the next. */
  private async insertRetrying(accountId: string, body: Parameters<PresetsRepository['insertNext']>[2]) {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.presets.insertNext(this.dataSource, accountId, body, new Date(this.clock.now()));
      } catch (error) {
        if (attempt >= 4 || !isUniqueViolation(error)) throw error;
      }
    }
  }

  private announce(event: PresetChanged): void {
    try {
      this.nats.publish(subjects.billing.presetChanged, event);
    } catch (error) {
      // Ingress replicas also forget their copies after PRESET_CACHE_TTL_MS.
      this.logger.warn(`could not announce the change of preset ${event.slug}: ${(error as Error).message}`);
    }
  }
}
