import { Body, Controller, Delete, Get, HttpCode, Param, Post, Req } from '@nestjs/common';
import { BadRequestError, type PresetsRequest, subjects } from '@switchyard/contracts';
import { NatsService } from '@switchyard/nest-kit';
import type { FastifyRequest } from 'fastify';
import { AuthenticatorService } from '../auth/authenticator.service.js';
import { presetFromChatBody } from './preset-request.js';

type WithoutAccount<T> = T extends unknown ? Omit<T, 'accountId'> : never;

/**
 * OpenRouter's presets: named sets of request fields a request uses with `@preset/<slug>` (see preset-request.ts).
 * Any key of the account reads them; a management key makes a version from a request body (`POST
 * /presets/<slug>/chat/completions`, which answers the preset, not a completion) or deletes one. Billing keeps them.
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
   * A new version of the preset (the first when the slug is new) from a chat request body: its fields (checked as a
   * request's are), its system messages as the system prompt; `name` and `description` beside them name it.
   */
  @Post('presets/:slug/chat/completions')
  @HttpCode(201)
  create(@Req() request: FastifyRequest, @Param('slug') slug: string, @Body() body: unknown): Promise<unknown> {
    const { config, systemPrompt } = presetFromChatBody(body);
    const { name, description } = (body ?? {}) as { name?: unknown; description?: unknown };
    if (name !== undefined && typeof name !== 'string') throw new BadRequestError('Invalid preset: name: a string');
    if (description !== undefined && description !== null && typeof description !== 'string') throw new BadRequestError('Invalid preset: description: a string');
    return this.relay(request, 'write', { op: 'create', slug, config, system_prompt: systemPrompt, ...(name !== undefined ? { name } : {}), ...(description !== undefined ? { description } : {}) });
  }

  @Delete('presets/:slug')
  delete(@Req() request: FastifyRequest, @Param('slug') slug: string): Promise<unknown> {
    return this.relay(request, 'write', { op: 'delete', slug });
  }

  private async relay(request: FastifyRequest, access: 'read' | 'write', body: WithoutAccount<PresetsRequest>): Promise<unknown> {
    const caller = await this.authenticator.authenticate(request.headers, access === 'write' ? { requireManagement: true } : { allowManagement: true });
    return this.nats.request(subjects.billing.presets, { ...body, accountId: caller.account.accountId });
  }
}
