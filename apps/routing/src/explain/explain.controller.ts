import { Body, Controller, Headers, HttpCode, Post } from '@nestjs/common';
import { BadRequestError, httpHeaders } from '@switchyard/contracts';
import { AdminOnly } from '@switchyard/nest-kit';
import { type ExplainResponse, ExplainService } from './explain.service.js';

@Controller('admin')
@AdminOnly()
export class ExplainController {
  constructor(private readonly explainer: ExplainService) {}

  /**
   * Body: a chat request with optional top-level `accountId` and `sessionKey` (or the RPC's shape
   * `{request, accountId?, sessionKey?}`); the `x-session-id` header works as it does on ingress.
   */
  @Post('explain')
  @HttpCode(200)
  explain(@Body() body: unknown, @Headers(httpHeaders.sessionId) sessionHeader: string | undefined): Promise<ExplainResponse> {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new BadRequestError('The body must be a JSON object: a chat request');
    const { accountId, sessionKey, request, ...rest } = body as Record<string, unknown>;
    const wrapped = typeof request === 'object' && request !== null && !('messages' in rest);
    return this.explainer.explain({
      request: wrapped ? request : rest,
      accountId,
      sessionKey: sessionKey ?? sessionHeader,
    });
  }
}
