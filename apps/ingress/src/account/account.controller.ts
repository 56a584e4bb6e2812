import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, Req } from '@nestjs/common';
import { BadRequestError, creditsSchema, feedbackCategorySchema, generationContentSchema, keyInfoSchema, subjects, type AccountActivityRequest, type AlertsRequest, type ByokRequest, type GuardrailsRequest, type AuthCodeRequest, type GenerationFeedback, type KeyManagementRequest } from '@switchyard/contracts';
import { NatsService } from '@switchyard/nest-kit';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { AuthenticatorService } from '../auth/authenticator.service.js';
import { invalidRequest } from '../chat/generation-pipeline.service.js';

/** `POST /api/v1/generation/feedback`. */
const feedbackBodySchema = z.object({ generation_id: z.string().min(1).max(200), category: feedbackCategorySchema, comment: z.string().max(4_000).optional() });

function firstQuery(value: unknown): string | undefined {
  return Array.isArray(value) ? value[0] : typeof value === 'string' ? value : undefined;
}

/**
 * The account side of the public API: `/key` (and legacy `/auth/key`), `/credits`, `/generation` (and its stored
 * `/generation/content`), the key management API `/keys`, `/activity`, spend alerts `/alerts`, the account's own
 * provider keys `/byok`, and OAuth PKCE (`/auth/keys/code`, `/auth/keys`).
 * Thin: authenticate from memory, then one RPC to the owner (billing or metering).
 */
@Controller('api/v1')
export class AccountController {
  constructor(
    private readonly authenticator: AuthenticatorService,
    private readonly nats: NatsService,
  ) {}

  @Get(['key', 'auth/key'])
  async key(@Req() request: FastifyRequest): Promise<unknown> {
    const caller = await this.authenticator.authenticate(request.headers, { allowManagement: true });
    const info = await this.nats.request(subjects.billing.keyInfo, { hash: caller.key.hash });
    return { data: keyInfoSchema.parse(info) };
  }

  @Get('credits')
  async credits(@Req() request: FastifyRequest): Promise<unknown> {
    const caller = await this.authenticator.authenticate(request.headers, { allowManagement: true });
    const credits = await this.nats.request(subjects.billing.credits, { accountId: caller.account.accountId });
    return { data: creditsSchema.parse(credits) };
  }

  @Get('generation')
  async generation(@Req() request: FastifyRequest, @Query('id') id: unknown): Promise<unknown> {
    return { data: await this.ofGeneration(request, id, subjects.metering.generation, 'generation') };
  }

  /** The stored prompt and output of one generation (only for accounts that opted in to prompt logging). */
  @Get('generation/content')
  async generationContent(@Req() request: FastifyRequest, @Query('id') id: unknown): Promise<unknown> {
    return { data: generationContentSchema.parse(await this.ofGeneration(request, id, subjects.metering.generationContent, 'generation/content')) };
  }

  /**
   * OpenRouter's activity: the account's generations summed per UTC day and endpoint over the last 30 completed UTC
   * days, or one of them (`?date=YYYY-MM-DD`). Management keys only, as on OpenRouter.
   */
  @Get('activity')
  async activity(@Req() request: FastifyRequest, @Query('date') date: unknown): Promise<unknown> {
    const caller = await this.authenticator.authenticate(request.headers, { requireManagement: true });
    const day = firstQuery(date);
    if (day !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(day)) throw new BadRequestError('date must be a UTC day as YYYY-MM-DD');
    return this.nats.request(subjects.metering.activity, { accountId: caller.account.accountId, ...(day !== undefined ? { date: day } : {}) } satisfies AccountActivityRequest);
  }

  /** Feedback on one of the account's generations (`{generation_id, category, comment?}`), as OpenRouter takes it. */
  @Post('generation/feedback')
  @HttpCode(200)
  async generationFeedback(@Req() request: FastifyRequest, @Body() body: unknown): Promise<unknown> {
    const caller = await this.authenticator.authenticate(request.headers, { allowManagement: true });
    const parsed = feedbackBodySchema.safeParse(asObject(body));
    if (!parsed.success) throw invalidRequest(parsed.error);
    const feedback: GenerationFeedback = { accountId: caller.account.accountId, generationId: parsed.data.generation_id, category: parsed.data.category, comment: parsed.data.comment };
    return this.nats.request(subjects.metering.generationFeedback, feedback);
  }

  @Get('keys')
  async listKeys(@Req() request: FastifyRequest, @Query('offset') offset: unknown, @Query('include_disabled') includeDisabled: unknown): Promise<unknown> {
    const caller = await this.authenticator.authenticate(request.headers, { requireManagement: true });
    const offsetValue = Number(firstQuery(offset) ?? 0);
    if (!Number.isInteger(offsetValue) || offsetValue < 0) throw new BadRequestError('offset must be a non-negative integer');
    return this.keys({ op: 'list', accountId: caller.account.accountId, offset: offsetValue, includeDisabled: firstQuery(includeDisabled) === 'true' });
  }

  @Post('keys')
  @HttpCode(201)
  async createKey(@Req() request: FastifyRequest, @Body() body: unknown): Promise<unknown> {
    const caller = await this.authenticator.authenticate(request.headers, { requireManagement: true });
    return this.keys({ op: 'create', accountId: caller.account.accountId, body: asObject(body) });
  }

  @Get('keys/:hash')
  async getKey(@Req() request: FastifyRequest, @Param('hash') hash: string): Promise<unknown> {
    const caller = await this.authenticator.authenticate(request.headers, { requireManagement: true });
    return this.keys({ op: 'get', accountId: caller.account.accountId, hash });
  }

  /** Switchyard's: a key's end users by spend in its user limit's window (`?offset=`, 100 a page). */
  @Get('keys/:hash/users')
  async keyUsers(@Req() request: FastifyRequest, @Param('hash') hash: string, @Query('offset') offset: unknown): Promise<unknown> {
    const caller = await this.authenticator.authenticate(request.headers, { requireManagement: true });
    const offsetValue = Number(firstQuery(offset) ?? 0);
    if (!Number.isInteger(offsetValue) || offsetValue < 0) throw new BadRequestError('offset must be a non-negative integer');
    return this.keys({ op: 'users', accountId: caller.account.accountId, hash, offset: offsetValue });
  }

  @Patch('keys/:hash')
  async updateKey(@Req() request: FastifyRequest, @Param('hash') hash: string, @Body() body: unknown): Promise<unknown> {
    const caller = await this.authenticator.authenticate(request.headers, { requireManagement: true });
    return this.keys({ op: 'update', accountId: caller.account.accountId, hash, body: asObject(body) });
  }

  @Delete('keys/:hash')
  async deleteKey(@Req() request: FastifyRequest, @Param('hash') hash: string): Promise<unknown> {
    const caller = await this.authenticator.authenticate(request.headers, { requireManagement: true });
    return this.keys({ op: 'delete', accountId: caller.account.accountId, hash });
  }

  /** The account's own provider keys (BYOK): provider, last four characters, whether usable; never the key. */
  @Get('byok')
  async listByok(@Req() request: FastifyRequest): Promise<unknown> {
    const caller = await this.authenticator.authenticate(request.headers, { requireManagement: true });
    return this.nats.request(subjects.providers.byok, { op: 'list', accountId: caller.account.accountId } satisfies ByokRequest);
  }

  /** Stores (or replaces) the account's key for a provider (`{provider, api_key}`): requests to it then use that key. */
  @Post('byok')
  @HttpCode(201)
  async putByok(@Req() request: FastifyRequest, @Body() body: unknown): Promise<unknown> {
    const caller = await this.authenticator.authenticate(request.headers, { requireManagement: true });
    return this.nats.request(subjects.providers.byok, { op: 'put', accountId: caller.account.accountId, body: asObject(body) } satisfies ByokRequest);
  }

  @Delete('byok/:provider')
  async deleteByok(@Req() request: FastifyRequest, @Param('provider') provider: string): Promise<unknown> {
    const caller = await this.authenticator.authenticate(request.headers, { requireManagement: true });
    return this.nats.request(subjects.providers.byok, { op: 'delete', accountId: caller.account.accountId, provider } satisfies ByokRequest);
  }

  /**
   * The account's spend alerts (Switchyard's, not OpenRouter's): the thresholds billing checks as debits land
   * (`balance_below`, `daily_spend_above`, USD) and the alerts raised lately. Management keys only.
   */
  @Get('alerts')
  async alerts(@Req() request: FastifyRequest): Promise<unknown> {
    const caller = await this.authenticator.authenticate(request.headers, { requireManagement: true });
    return this.nats.request(subjects.billing.alerts, { op: 'get', accountId: caller.account.accountId } satisfies AlertsRequest);
  }

  /** Sets either threshold (null clears it); answers as `GET /alerts`. */
  @Patch('alerts')
  async updateAlerts(@Req() request: FastifyRequest, @Body() body: unknown): Promise<unknown> {
    const caller = await this.authenticator.authenticate(request.headers, { requireManagement: true });
    return this.nats.request(subjects.billing.alerts, { op: 'update', accountId: caller.account.accountId, body: asObject(body) } satisfies AlertsRequest);
  }

  /**
   * The account's guardrails (Switchyard's, after OpenRouter's guardrail blocks): detectors (`api_key`,
   * `aws_access_key`, `private_key`, `credit_card`, `email`) and keywords; a request whose messages contain what one
   * finds is a 403 before any provider sees it. Management keys only.
   */
  @Get('guardrails')
  async guardrails(@Req() request: FastifyRequest): Promise<unknown> {
    const caller = await this.authenticator.authenticate(request.headers, { requireManagement: true });
    return this.nats.request(subjects.billing.guardrails, { op: 'get', accountId: caller.account.accountId } satisfies GuardrailsRequest);
  }

  /** Replaces either list (`{detectors?, keywords?}`; an empty list clears it); answers as `GET /guardrails`. */
  @Patch('guardrails')
  async updateGuardrails(@Req() request: FastifyRequest, @Body() body: unknown): Promise<unknown> {
    const caller = await this.authenticator.authenticate(request.headers, { requireManagement: true });
    return this.nats.request(subjects.billing.guardrails, { op: 'update', accountId: caller.account.accountId, body: asObject(body) } satisfies GuardrailsRequest);
  }

  /**
   * OAuth PKCE, server side: a code for the caller's account that an app exchanges once, within ten minutes, for a
   * key with the code's label, limit and expiry. `{data: {id, app_id, created_at}}`; `id` is the code.
   */
  @Post('auth/keys/code')
  @HttpCode(200)
  async createAuthCode(@Req() request: FastifyRequest, @Body() body: unknown): Promise<unknown> {
    const caller = await this.authenticator.authenticate(request.headers, { allowManagement: true });
    return this.nats.request(subjects.billing.authCodes, { op: 'create', accountId: caller.account.accountId, body: asObject(body) } satisfies AuthCodeRequest);
  }

  /** The code (and its PKCE verifier) for a new key: `{key, user_id}`. No key needed: the code is the credential. */
  @Post('auth/keys')
  @HttpCode(200)
  exchangeAuthCode(@Body() body: unknown): Promise<unknown> {
    return this.nats.request(subjects.billing.authCodes, { op: 'exchange', body: asObject(body) } satisfies AuthCodeRequest);
  }

  /** One RPC to metering about one of the caller's generations (`?id=`, required). */
  private async ofGeneration(request: FastifyRequest, id: unknown, subject: string, route: string): Promise<unknown> {
    const caller = await this.authenticator.authenticate(request.headers, { allowManagement: true });
    const generationId = firstQuery(id);
    if (!generationId) throw new BadRequestError(`Query parameter id is required: GET /api/v1/${route}?id=gen-...`);
    return this.nats.request(subject, { id: generationId, accountId: caller.account.accountId });
  }

  private keys(request: KeyManagementRequest): Promise<unknown> {
    return this.nats.request(subjects.billing.keys, request);
  }
}

function asObject(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new BadRequestError('The request body must be a JSON object');
  return body as Record<string, unknown>;
}
