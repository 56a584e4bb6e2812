import { Controller, HttpCode, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AuthenticatorService } from '../../auth/authenticator.service.js';
import { embeddingsErrors } from '../embeddings/embeddings.controller.js';
import { renderFamilyError } from '../shared/family-error.js';
import { UnaryGenerationService } from '../unary/unary-generation.service.js';
import { rerankGeneration } from './rerank-generation.js';
import { parseRerankRequest } from './rerank-request.schema.js';

/**
 * `POST /api/v1/rerank` (Cohere-style rerank, served by the catalog's rerank models with failover, metered and
 * billed per search and input token). Errors use OpenRouter's envelope, as embeddings' do.
 */
@Controller('api/v1')
export class RerankController {
  constructor(
    private readonly authenticator: AuthenticatorService,
    private readonly generations: UnaryGenerationService,
  ) {}

  @Post('rerank')
  @HttpCode(200)
  async create(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    try {
      const caller = await this.authenticator.authenticate(request.headers);
      await this.generations.execute(request, reply, caller, rerankGeneration(parseRerankRequest(request.body)));
    } catch (error) {
      renderFamilyError(reply, embeddingsErrors, error);
    }
  }
}
