import { Logger } from '@nestjs/common';
import type { GatewayError } from '@switchyard/contracts';
import { toHttpError } from '@switchyard/nest-kit';
import type { FastifyReply } from 'fastify';

const logger = new Logger('Skins');

/** How one API family renders an error: before the response started, and as the last event of a started stream. */
export interface FamilyErrors {
  error(error: GatewayError, generationId?: string): { status: number; body: unknown; headers: Record<string, string> };
  streamError(error: GatewayError): string;
}

/**
 * Renders an error in the family's shape whatever state the response is in: a normal reply, a hijacked reply with
 * nothing written yet, or a stream whose headers are out (then the family's error event ends it).
 */
/** A JSON body with `fields` beside what it has (router metadata), when there are any and the body is an object. */
export function bodyWith(body: unknown, fields: Record<string, unknown> | undefined): unknown {
  if (!fields || typeof body !== 'object' || body === null) return body;
  return { ...(body as Record<string, unknown>), ...fields };
}

/** An error's rendering with the fields the error carries beside `error` in its body. */
export function withBodyExtras<T extends { body: unknown }>(rendered: T, error: GatewayError): T {
  return error.bodyExtras ? { ...rendered, body: bodyWith(rendered.body, error.bodyExtras) } : rendered;
}

export function renderFamilyError(reply: FastifyReply, family: FamilyErrors, error: unknown): void {
  const gatewayError = toHttpError(error);
  if (gatewayError.status >= 500 && gatewayError.name === 'InternalError') {
    const cause = (gatewayError.cause ?? error) as Error | undefined;
    logger.error(`${reply.request?.method ?? ''} ${reply.request?.url ?? ''} failed: ${cause?.message ?? String(cause)}`, cause?.stack);
  }
  const raw = reply.raw;
  if (raw.writableEnded) return;
  if (raw.headersSent) {
    raw.end(family.streamError(gatewayError));
    return;
  }
  const rendered = withBodyExtras(family.error(gatewayError), gatewayError);
  if (reply.sent) {
    raw.writeHead(rendered.status, { 'Content-Type': 'application/json; charset=utf-8', ...rendered.headers });
    raw.end(JSON.stringify(rendered.body));
    return;
  }
  void reply.status(rendered.status).headers(rendered.headers).header('Content-Type', 'application/json; charset=utf-8').send(JSON.stringify(rendered.body));
}
