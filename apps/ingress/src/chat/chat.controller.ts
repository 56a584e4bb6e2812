import { Controller, HttpCode, Post, Req, Res } from '@nestjs/common';
import { BadRequestError } from '@switchyard/contracts';
import { chatRequestSchema, toCanonicalChatRequest } from '@switchyard/llm-spec';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AuthenticatorService } from '../auth/authenticator.service.js';
import { chatCompletionsSkin } from './chat-completions.skin.js';
import { GenerationPipelineService, invalidRequest } from './generation-pipeline.service.js';
import { renderFamilyError } from '../skins/shared/family-error.js';

@Controller('api/v1')
export class ChatController {
  constructor(
    private readonly authenticator: AuthenticatorService,
    private readonly pipeline: GenerationPipelineService,
  ) {}

  @Post('chat/completions')
  @HttpCode(200)
  async create(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    try {
      const caller = await this.authenticator.authenticate(request.headers);
      const parsed = chatRequestSchema.safeParse(request.body);
      if (!parsed.success) throw invalidRequest(parsed.error);
      if (!parsed.data.model && !parsed.data.preset) throw new BadRequestError('Invalid request: model: required (e.g. "openai/gpt-4o-mini"; see GET /api/v1/models)');
      // A preset alone names the model: `preset: "x"` is `model: "@preset/x"`.
      const canonical = toCanonicalChatRequest(parsed.data, parsed.data.preset ? `@preset/${parsed.data.preset}` : undefined);
      await this.pipeline.execute({ request, reply, caller, canonical, skin: chatCompletionsSkin });
    } catch (error) {
      renderFamilyError(reply, chatCompletionsSkin, error);
    }
  }
}
