import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { GatewayError, InternalError, toGatewayError } from '@switchyard/contracts';
import { type Observable, throwError } from 'rxjs';
import type { FastifyReply, FastifyRequest } from 'fastify';

const logger = new Logger('Errors');

/**
 * Anything thrown at an HTTP edge → OpenRouter's envelope `{"error":{"code","message","metadata"}}` with the
 * matching status. Bad input is 4xx with a reason; an unexpected failure is a masked 500 whose cause is logged.
 */
export function toHttpError(error: unknown): GatewayError {
  if (GatewayError.isInstance(error)) return error;
  if (error instanceof HttpException) {
    const status = error.getStatus();
    const response = error.getResponse();
    const message = typeof response === 'string' ? response : ((response as { message?: string | string[] }).message ?? error.message);
    return new GatewayError(status, Array.isArray(message) ? message.join('; ') : String(message));
  }
  const fastifyError = error as { code?: string; statusCode?: number; message?: string; validation?: unknown };
  if (typeof fastifyError?.code === 'string' && fastifyError.code.startsWith('FST_')) {
    switch (fastifyError.code) {
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
        return new GatewayError(413, 'Request body is too large', { errorType: 'payload_too_large' });
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
        return new GatewayError(415, 'Unsupported Content-Type: send application/json', { errorType: 'invalid_request' });
      case 'FST_ERR_CTP_EMPTY_JSON_BODY':
        return new GatewayError(400, 'The request body is empty; send a JSON object', { errorType: 'invalid_request' });
      case 'FST_ERR_CTP_INVALID_JSON_BODY':
      case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
        return new GatewayError(400, `Malformed request body: ${fastifyError.message ?? 'invalid JSON'}`, { errorType: 'invalid_request' });
      default:
        if (fastifyError.statusCode && fastifyError.statusCode < 500) {
          return new GatewayError(fastifyError.statusCode, fastifyError.message ?? 'Bad request');
        }
    }
  }
  if (error instanceof SyntaxError) return new GatewayError(400, `Malformed JSON in request body: ${error.message}`, { errorType: 'invalid_request' });
  if (fastifyError?.statusCode && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
    return new GatewayError(fastifyError.statusCode, fastifyError.message ?? 'Bad request');
  }
  return new InternalError(error);
}

/**
 * Renders an error for one request in another API family's shape (ingress's Anthropic and Responses skins);
 * undefined keeps OpenRouter's envelope.
 */
export type HttpErrorRenderer = (error: GatewayError, request: FastifyRequest) => { status: number; body: unknown; headers: Record<string, string> } | undefined;

export function sendHttpError(reply: FastifyReply, error: unknown, request?: FastifyRequest, renderer?: HttpErrorRenderer): void {
  const gatewayError = toHttpError(error);
  if (gatewayError.status >= 500 && gatewayError instanceof InternalError) {
    const cause = gatewayError.cause as Error | undefined;
    logger.error(`${request?.method ?? ''} ${request?.url ?? ''} failed: ${cause?.message ?? String(cause)}`, cause?.stack);
  }
  if (reply.sent || reply.raw.headersSent) return;
  const rendered = (request && renderer?.(gatewayError, request)) ?? { status: gatewayError.status, body: gatewayError.toEnvelope(), headers: gatewayError.headers };
  for (const [name, value] of Object.entries(rendered.headers)) reply.header(name, value);
  void reply.status(rendered.status).header('Content-Type', 'application/json; charset=utf-8').send(JSON.stringify(rendered.body));
}

/**
 * The global filter of every service, for both edges: HTTP errors are rendered as the OpenRouter envelope; a NATS
 * handler's error travels as a serialised GatewayError (`err` of Nest's reply), rehydrated by NatsService.request.
 */
@Catch()
export class GatewayExceptionFilter implements ExceptionFilter {
  constructor(private readonly renderer?: HttpErrorRenderer) {}

  catch(exception: unknown, host: ArgumentsHost): void | Observable<never> {
    if (host.getType() === 'rpc') {
      const error = toGatewayError(exception);
      if (error.status >= 500) logger.error(`RPC handler failed: ${(exception as Error)?.message}`, (exception as Error)?.stack);
      return throwError(() => error.toJSON());
    }
    const http = host.switchToHttp();
    sendHttpError(http.getResponse<FastifyReply>(), exception, http.getRequest<FastifyRequest>(), this.renderer);
  }
}
