import { Body, Controller, Delete, Get, HttpCode, Param, Post, Req } from '@nestjs/common';
import { BadRequestError, type PresetsRequest, subjects } from '@switchyard/contracts';
import { NatsService } from '@switchyard/nest-kit';
import type { FastifyRequest } from 'fastify';
import { AuthenticatorService } from '../auth/authenticator.service.js';
import { type PresetBody, presetFromChatBody, presetFromMessagesBody, presetFromResponsesBody } from './preset-request.js';

type WithoutAccount<T> = T extends unknown ? Omit<T, 'accountId'> : never;

/**
 * OpenRouter's presets: named sets of request fields a request uses with `@preset/<slug>` (see preset-request.ts).
 * Any key of the account reads them; a management key makes a version from a request body of any API (`POST
 * /presets/<slug>/chat/completions|messages|responses`, which answers the preset, not a completion) or deletes one.
 * Billing keeps them.
 */
@Controller('api/v1')
export class PresetsController {
  constructor(
    private readonly authenticator: AuthenticatorService,
    private readonly nats: NatsService,
  ) {}

  @Get('presets')
  list(@Req() request: FastifyRequest): Promise<unknown> {
    return this.relay(request, 'read', { op: 'list' });
  }

  @Get('presets/:slug')
  get(@Req() request: FastifyRequest, @Param('slug') slug: string): Promise<unknown> {
    return this.relay(request, 'read', { op: 'get', slug });
  }

  @Get('presets/:slug/versions')
  versions(@Req() request: FastifyRequest, @Param('slug') slug: string): Promise<unknown> {
    return this.relay(request, 'read', { op: 'versions', slug });
  }

  @Get('presets/:slug/versions/:version')
  version(@Req() request: FastifyRequest, @Param('slug') slug: string, @Param('version') version: string): Promise<unknown> {
    if (!/^[1-9]\d{0,8}$/.test(version)) throw new BadRequestError(`Invalid preset version "${version}": a positive whole number`);
    return this.relay(request, 'read', { op: 'get', slug, version: Number(version) });
  }

  /**
   * A new version of the preset (the first when the slug is new) from a request body of any of the three APIs: its
   * fields (checked as a request's are), its system prompt (system messages, Anthropic's `system`, Responses'
   * `instructions`); `name` and `description` beside them name it, `cache_enabled` and `cache_ttl_seconds` set the
   * response caching of requests that use it. Answers the preset, not a completion.
   */
  @Post('presets/:slug/chat/completions')
  @HttpCode(201)
  createFromChat(@Req() request: FastifyRequest, @Param('slug') slug: string, @Body() body: unknown): Promise<unknown> {
    return this.create(request, slug, body, presetFromChatBody);
  }

  @Post('presets/:slug/messages')
  @HttpCode(201)
  createFromMessages(@Req() request: FastifyRequest, @Param('slug') slug: string, @Body() body: unknown): Promise<unknown> {
    return this.create(request, slug, body, presetFromMessagesBody);
  }

  @Post('presets/:slug/responses')
  @HttpCode(201)
  createFromResponses(@Req() request: FastifyRequest, @Param('slug') slug: string, @Body() body: unknown): Promise<unknown> {
    return this.create(request, slug, body, presetFromResponsesBody);
  }

  @Delete('presets/:slug')
  delete(@Req() request: FastifyRequest, @Param('slug') slug: string): Promise<unknown> {
    return this.relay(request, 'write', { op: 'delete', slug });
  }

  private create(request: FastifyRequest, slug: string, body: unknown, fromBody: (body: unknown) => PresetBody): Promise<unknown> {
    const { config, systemPrompt } = fromBody(body);
    // The preset's own fields as sent: billing's schema checks them (a 400 naming the field).
    const { name, description, cache_enabled, cache_ttl_seconds } = (body ?? {}) as { name?: string; description?: string | null; cache_enabled?: boolean | null; cache_ttl_seconds?: number | null };
    return this.relay(request, 'write', { op: 'create', slug, config, system_prompt: systemPrompt, name, description, cache_enabled, cache_ttl_seconds });
  }

  private async relay(request: FastifyRequest, access: 'read' | 'write', body: WithoutAccount<PresetsRequest>): Promise<unknown> {
    const caller = await this.authenticator.authenticate(request.headers, access === 'write' ? { requireManagement: true } : { allowManagement: true });
    return this.nats.request(subjects.billing.presets, { ...body, accountId: caller.account.accountId });
  }
}
