import { Controller, Logger } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { GatewayError, generationLookupSchema, NotFoundError, ServiceUnavailableError, subjects } from '@switchyard/contracts';
import { parseParameters } from '../common/query-validation.js';
import { type OpenRouterGeneration, toOpenRouterGeneration } from './generation-view.js';
import { GenerationsRepository } from './generations.repository.js';

/** NATS RPC: `GET /api/v1/generation` for ingress. */
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
    let stored;
    try {
      stored = await this.generations.findForAccount(id, accountId);
    } catch (error) {
      if (GatewayError.isInstance(error)) throw error;
      this.logger.error(`generation lookup failed: ${(error as Error).message}`);
      throw new ServiceUnavailableError('Generation lookup is temporarily unavailable');
    }
    if (!stored) throw new NotFoundError('Generation not found', { id });
    return toOpenRouterGeneration(stored);
  }
}
