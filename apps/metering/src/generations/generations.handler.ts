import { Controller, Logger } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { GatewayError, generationFeedbackSchema, generationLookupSchema, NotFoundError, RateLimitError, ServiceUnavailableError, subjects, type GenerationContent } from '@switchyard/contracts';
import { parseParameters } from '../common/query-validation.js';
import { type OpenRouterGeneration, toOpenRouterGeneration } from './generation-view.js';
import { FEEDBACK_PER_GENERATION, GenerationsRepository } from './generations.repository.js';

/** NATS RPC: `GET /api/v1/generation`, `GET /api/v1/generation/content` and `POST /api/v1/generation/feedback` for ingress. */
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
