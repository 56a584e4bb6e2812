import { Controller, HttpCode, Post, Req, Res } from '@nestjs/common';
import { sendHttpError, toHttpError } from '@switchyard/nest-kit';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ChatService } from './chat.service.js';

/** Ends a response whose errors the framework can no longer render (after hijack, or after SSE headers). */
export function failHijacked(reply: FastifyReply, error: unknown): void {
  const raw = reply.raw;
  if (raw.writableEnded) return;
  const gatewayError = toHttpError(error);
  if (raw.headersSent) {
    raw.end(`data: ${JSON.stringify({ error: gatewayError.toEnvelope().error, choices: [] })}\n\ndata: [DONE]\n\n`);
    return;
  }
  raw.writeHead(gatewayError.status, { 'Content-Type': 'application/json; charset=utf-8', ...gatewayError.headers });
  raw.end(JSON.stringify(gatewayError.toEnvelope()));
}

@Controller('api/v1')
export class ChatController {
  constructor(private readonly chat: ChatService) {}

  @Post('chat/completions')
  @HttpCode(200)
  async create(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    try {
      await this.chat.handle(request, reply);
    } catch (error) {
      if (reply.sent) failHijacked(reply, error);
      else sendHttpError(reply, error, request);
    }
  }
}
