import { Controller, Get, HttpCode, Post, Query, Req, Res } from '@nestjs/common';
import { ServiceUnavailableError } from '@switchyard/contracts';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AuthenticatorService } from '../../auth/authenticator.service.js';
import { listModels, type ModelListResponse, type ModelsQuery } from '../../models/model-listing.js';
import { CatalogStateService } from '../../state/catalog-state.service.js';
import { renderFamilyError, type FamilyErrors } from '../shared/family-error.js';
import { UnaryGenerationService } from '../unary/unary-generation.service.js';
import { embeddingsGeneration } from './embeddings-generation.js';
import { parseEmbeddingsRequest } from './embeddings-request.schema.js';

/** Embeddings (and rerank) errors are OpenRouter's envelope with the HTTP status (the response is never a stream). */
export const embeddingsErrors: FamilyErrors = {
  error: (error) => ({ status: error.status, body: error.toEnvelope(), headers: error.headers }),
  streamError: (error) => JSON.stringify(error.toEnvelope()),
};

/**
 * `POST /api/v1/embeddings` (OpenAI embeddings, served by the catalog's embedding models with failover, metered
 * and billed per input token) and `GET /api/v1/embeddings/models` (the embedding models in the OpenRouter Model
 * shape, anonymous like `/models`). Errors use OpenRouter's envelope.
 */
@Controller('api/v1')
export class EmbeddingsController {
  constructor(
    private readonly authenticator: AuthenticatorService,
    private readonly generations: UnaryGenerationService,
    private readonly state: CatalogStateService,
  ) {}

  @Post('embeddings')
  @HttpCode(200)
  async create(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    try {
      const caller = await this.authenticator.authenticate(request.headers);
      await this.generations.execute(request, reply, caller, embeddingsGeneration(parseEmbeddingsRequest(request.body)));
    } catch (error) {
      renderFamilyError(reply, embeddingsErrors, error);
    }
  }

  /**
   * Every model whose output modalities include embeddings, with `/models`' query parameters (search, providers,
   * prices, sort, pagination); `output_modalities` is fixed to embeddings.
   */
  @Get('embeddings/models')
  models(@Query() query: ModelsQuery): ModelListResponse {
    const index = this.state.index;
    if (!index) throw new ServiceUnavailableError('The gateway is starting up (catalog not loaded yet); retry shortly');
    return listModels(index, { ...query, output_modalities: 'embeddings' }, { routingTable: this.state.routingTable, basePath: '/api/v1/embeddings/models' });
  }
}
