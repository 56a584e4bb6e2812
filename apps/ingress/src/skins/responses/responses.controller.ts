import { Controller, HttpCode, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AuthenticatorService } from '../../auth/authenticator.service.js';
import { GenerationPipelineService } from '../../chat/generation-pipeline.service.js';
import { renderFamilyError } from '../shared/family-error.js';
import { invalidSkinRequest } from '../shared/invalid-request.js';
import { responsesErrors } from './responses-errors.js';
import { responsesToCanonical } from './responses-request.mapper.js';
import { responsesRequestSchema } from './responses-request.schema.js';
import { responseEcho } from './responses.renderer.js';
import { createResponsesSkin } from './responses.skin.js';

/** `POST /api/v1/responses` — OpenAI's Responses API, stateless (the `openai` SDK with base URL `<origin>/api/v1`). */
@Controller('api/v1')
export class ResponsesController {
  constructor(
    private readonly authenticator: AuthenticatorService,
    private readonly pipeline: GenerationPipelineService,
  ) {}

  @Post('responses')
  @HttpCode(200)
  async create(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    try {
      const caller = await this.authenticator.authenticate(request.headers);
      const parsed = responsesRequestSchema.safeParse(request.body);
      if (!parsed.success) throw invalidSkinRequest(parsed.error);
      const canonical = responsesToCanonical(parsed.data);
      await this.pipeline.execute({ request, reply, caller, canonical, skin: createResponsesSkin(responseEcho(parsed.data)) });
    } catch (error) {
      renderFamilyError(reply, responsesErrors, error);
    }
  }
}
