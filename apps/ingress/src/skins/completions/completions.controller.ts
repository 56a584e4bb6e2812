import { Controller, HttpCode, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AuthenticatorService } from '../../auth/authenticator.service.js';
import { GenerationPipelineService } from '../../chat/generation-pipeline.service.js';
import { renderFamilyError } from '../shared/family-error.js';
import { completionsToCanonical } from './completions-request.schema.js';
import { completionsErrors, completionsSkin } from './completions.skin.js';

/** `POST /api/v1/completions` — legacy text completions (`prompt` in, `choices[].text` out), served by chat models. */
@Controller('api/v1')
export class CompletionsController {
  constructor(
    private readonly authenticator: AuthenticatorService,
    private readonly pipeline: GenerationPipelineService,
  ) {}

  @Post('completions')
  @HttpCode(200)
  async create(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    try {
      const caller = await this.authenticator.authenticate(request.headers);
      const canonical = completionsToCanonical(request.body);
      await this.pipeline.execute({ request, reply, caller, canonical, skin: completionsSkin });
    } catch (error) {
      renderFamilyError(reply, completionsErrors, error);
    }
  }
}
