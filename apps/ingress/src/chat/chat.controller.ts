import { Controller, HttpCode, Post, Req, Res } from '@nestjs/common';
import { BadRequestError } from '@switchyard/contracts';
import { chatRequestSchema, toCanonicalChatRequest } from '@switchyard/llm-spec';
import { toHttpError } from '@switchyard/nest-kit';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AuthenticatorService } from '../auth/authenticator.service.js';
import { chatCompletionsSkin } from './chat-completions.skin.js';
import { GenerationPipelineService, invalidRequest } from './generation-pipeline.service.js';
import type { Skin } from './skin.js';

/**
 * Renders an error in the skin's family shape, whatever state the response is in: a normal reply, a hijacked
 * reply with nothing written yet, or a stream whose headers are out (then an error event ends it).
 */
export function renderSkinError(reply: FastifyReply, skin: Skin, error: unknown): void {
  const gatewayError = toHttpError(error);
  const raw = reply.raw;
  if (raw.writableEnded) return;
  if (raw.headersSent) {
    raw.end(`data: ${JSON.stringify(gatewayError.toEnvelope())}\n\n`);
    return;
  }
  const rendered = skin.error(gatewayError);
  if (reply.sent) {
    raw.writeHead(rendered.status, { 'Content-Type': 'application/json; charset=utf-8', ...rendered.headers });
    raw.end(JSON.stringify(rendered.body));
    return;
  }
  void reply.status(rendered.status).headers(rendered.headers).header('Content-Type', 'application/json; charset=utf-8').send(JSON.stringify(rendered.body));
}

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
      const caller = this.authenticator.authenticate(request.headers);
      const parsed = chatRequestSchema.safeParse(request.body);
      if (!parsed.success) throw invalidRequest(parsed.error);
      if (!parsed.data.model) throw new BadRequestError('Invalid request: model: required (e.g. "openai/gpt-4o-mini"; see GET /api/v1/models)');
      await this.pipeline.execute({ request, reply, caller, canonical: toCanonicalChatRequest(parsed.data), skin: chatCompletionsSkin });
    } catch (error) {
      renderSkinError(reply, chatCompletionsSkin, error);
    }
  }
}
