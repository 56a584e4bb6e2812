import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { CatalogStateService } from '../../state/catalog-state.service.js';
import { wrongEndpointError } from './endpoint-kind.js';

/** The generation endpoints: an embedding model named on any of them is a `wrong_endpoint` 400. */
export const GENERATION_ROUTES: ReadonlySet<string> = new Set(['/api/v1/chat/completions', '/api/v1/completions', '/api/v1/messages', '/api/v1/responses']);

/** The model ids a generation request names: `model`, the `models` fallbacks and Anthropic's `fallbacks[].model`. */
export function requestedModelsOf(body: unknown): string[] {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return [];
  const record = body as { model?: unknown; models?: unknown; fallbacks?: unknown };
  const ids: string[] = [];
  if (typeof record.model === 'string') ids.push(record.model);
  if (Array.isArray(record.models)) for (const id of record.models) if (typeof id === 'string') ids.push(id);
  if (Array.isArray(record.fallbacks)) {
    for (const fallback of record.fallbacks) {
      const id = (fallback as { model?: unknown } | null)?.model;
      if (typeof id === 'string') ids.push(id);
    }
  }
  return ids;
}

/**
 * Refuses a generation request (chat completions, legacy completions, messages, responses) that names an embedding
 * model with OpenRouter's `wrong_endpoint` 400, before it is planned: the generation pipeline would otherwise send
 * a chat request to an embeddings-only upstream model. Registered globally (APP_GUARD) and inert on every other
 * route; the error is rendered in the route's API family by the global filter. Malformed bodies pass through to the
 * route's own validation. One map lookup per requested model.
 */
@Injectable()
export class ChatEndpointKindGuard implements CanActivate {
  constructor(private readonly state: CatalogStateService) {}

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    if (request.method !== 'POST' || !GENERATION_ROUTES.has(request.url.split('?')[0] ?? '')) return true;
    const index = this.state.index;
    if (!index) return true;
    const error = wrongEndpointError(index, requestedModelsOf(request.body), 'chat');
    if (error) throw error;
    return true;
  }
}
