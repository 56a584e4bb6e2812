import { Controller, Logger } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import {
  accountActivityRequestSchema,
  BadRequestError,
  GatewayError,
  generationFeedbackSchema,
  generationLookupSchema,
  NotFoundError,
  RateLimitError,
  ServiceUnavailableError,
  subjects,
  type ActivityItem,
  type GenerationContent,
} from '@switchyard/contracts';
import { moneyToNumber } from '@switchyard/money';
import { parseParameters } from '../common/query-validation.js';
import { type OpenRouterGeneration, toOpenRouterGeneration } from './generation-view.js';
import { FEEDBACK_PER_GENERATION, GenerationsRepository } from './generations.repository.js';

/** Days `GET /api/v1/activity` looks back over: the last 30 completed UTC days. */
export const ACTIVITY_DAYS = 30;
const DAY_MS = 86_400_000;

/** The window of an activity request: the last 30 completed UTC days, or one of them; a 400 for any other date. */
export function activityWindow(now: number, date: string | undefined): { from: Date; to: Date } {
  const today = Math.floor(now / DAY_MS) * DAY_MS;
  const earliest = today - ACTIVITY_DAYS * DAY_MS;
  if (date === undefined) return { from: new Date(earliest), to: new Date(today) };
  const day = Date.parse(`${date}T00:00:00Z`);
  if (!Number.isFinite(day) || new Date(day).toISOString().slice(0, 10) !== date) throw new BadRequestError(`date ${date} is not a valid YYYY-MM-DD day`);
  if (day < earliest || day >= today) {
    throw new BadRequestError(`date must be one of the last ${ACTIVITY_DAYS} completed UTC days (${new Date(earliest).toISOString().slice(0, 10)} to ${new Date(today - DAY_MS).toISOString().slice(0, 10)})`);
  }
  return { from: new Date(day), to: new Date(day + DAY_MS) };
}

/**
 * NATS RPC for ingress: `GET /api/v1/generation`, `GET /api/v1/generation/content`, `POST /api/v1/generation/feedback`
 * and `GET /api/v1/activity`.
 */
@Controller()
export class GenerationsHandler {
  private readonly logger = new Logger('GenerationsHandler');

  constructor(private readonly generations: GenerationsRepository) {}

  /**
   * `sy.metering.generation.v1` `{ id, accountId }` → the generation in OpenRouter's `data` shape, only when it
   * belongs to the account. Unknown and foreign ids are the same 404 (no probing of other accounts' ids); a
   * generation not yet recorded is a 404 too, as on OpenRouter right after a request.
   */
  @MessagePattern(subjects.metering.generation)
  async lookup(@Payload() payload: unknown): Promise<OpenRouterGeneration> {
    const { id, accountId } = parseParameters(generationLookupSchema, payload, 'generation lookup');
    const stored = await this.read(() => this.generations.findForAccount(id, accountId), 'generation lookup');
    if (!stored) throw new NotFoundError('Generation not found', { id });
    return toOpenRouterGeneration(stored);
  }

  /**
   * `sy.metering.generation-content.v1` `{ id, accountId }` → the stored prompt and output of the account's
   * generation. Stored only for accounts that opted in to prompt logging: otherwise a 404 that says so (a foreign
   * or unknown id is the plain 404 of the lookup).
   */
  @MessagePattern(subjects.metering.generationContent)
  async content(@Payload() payload: unknown): Promise<GenerationContent> {
    const { id, accountId } = parseParameters(generationLookupSchema, payload, 'generation content');
    const content = await this.read(() => this.generations.findContentForAccount(id, accountId), 'generation content');
    if (content === undefined) throw new NotFoundError('Generation not found', { id });
    if (content === null) throw new NotFoundError('No content was stored for this generation: prompts and outputs are kept only for accounts that opt in to prompt logging', { id });
    return { id, ...content };
  }

  /** `sy.metering.generation-feedback.v1`: feedback on one of the account's generations (kept for the operator). */
  @MessagePattern(subjects.metering.generationFeedback)
  async feedback(@Payload() payload: unknown): Promise<{ data: { success: true } }> {
    const feedback = parseParameters(generationFeedbackSchema, payload, 'generation feedback');
    const recorded = await this.read(() => this.generations.addFeedback({ ...feedback, comment: feedback.comment ?? null }), 'generation feedback');
    if (recorded === 'not_found') throw new NotFoundError('Generation not found', { id: feedback.generationId });
    if (recorded === 'full') throw new RateLimitError(`This generation has ${FEEDBACK_PER_GENERATION} feedback entries already`, { metadata: { id: feedback.generationId } });
    return { data: { success: true } };
  }

  /**
   * `sy.metering.activity.v1` `{ accountId, date? }` → the account's generations summed per UTC day × endpoint
   * (OpenRouter's `GET /api/v1/activity`), over the last 30 completed UTC days or one of them, newest day first.
   */
  @MessagePattern(subjects.metering.activity)
  async activity(@Payload() payload: unknown): Promise<{ data: ActivityItem[] }> {
    const request = parseParameters(accountActivityRequestSchema, payload, 'activity request');
    const { from, to } = activityWindow(Date.now(), request.date);
    const rows = await this.read(() => this.generations.activityForAccount(request.accountId, from, to), 'activity');
    return {
      data: rows.map((row) => ({
        date: row.date,
        model: row.model,
        // The model without its variant (":free", ":nitro"): the model's own id.
        model_permaslug: row.model.split(':')[0]!,
        endpoint_id: row.endpoint_id,
        provider_name: row.provider_name,
        usage: moneyToNumber(row.usage),
        byok_usage_inference: moneyToNumber(row.byok_usage_inference),
        requests: Number(row.requests),
        prompt_tokens: Number(row.prompt_tokens),
        completion_tokens: Number(row.completion_tokens),
        reasoning_tokens: Number(row.reasoning_tokens),
      })),
    };
  }

  /** A database call for an RPC: a database failure is a 503 for the caller, never a leaked driver error. */
  private async read<T>(query: () => Promise<T>, what: string): Promise<T> {
    try {
      return await query();
    } catch (error) {
      if (GatewayError.isInstance(error)) throw error;
      this.logger.error(`${what} failed: ${(error as Error).message}`);
      throw new ServiceUnavailableError(`${what[0]!.toUpperCase()}${what.slice(1)} is temporarily unavailable`);
    }
  }
}
