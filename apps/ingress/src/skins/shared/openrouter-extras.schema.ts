import { cacheControlSchema, providerPreferencesSchema, type CanonicalChatRequest } from '@switchyard/llm-spec';
import { z } from 'zod';

/**
 * OpenRouter's routing fields, accepted on every skin (reference §10.1, §10.2). `plugins`, `route`, `trace`,
 * `transforms` and `debug` are accepted and ignored (zod drops unknown keys).
 */
export const openRouterExtrasShape = {
  models: z.array(z.string().min(1).max(256)).max(16).nullish(),
  provider: providerPreferencesSchema.nullish(),
  session_id: z.string().max(256).nullish(),
  cache_control: cacheControlSchema.nullish(),
  prompt_cache_key: z.string().max(1024).nullish(),
} as const;

export interface OpenRouterExtras {
  models?: string[] | null;
  provider?: CanonicalChatRequest['provider'];
  session_id?: string | null;
  cache_control?: CanonicalChatRequest['cache_control'];
  prompt_cache_key?: string | null;
}

/** The extras that were given, as canonical fields (absent ones stay absent). */
export function canonicalExtras(request: OpenRouterExtras): Partial<CanonicalChatRequest> {
  const extras: Partial<CanonicalChatRequest> = {};
  if (request.models && request.models.length > 0) extras.models = request.models;
  if (request.provider) extras.provider = request.provider;
  if (request.session_id) extras.session_id = request.session_id;
  if (request.cache_control) extras.cache_control = request.cache_control;
  if (request.prompt_cache_key) extras.prompt_cache_key = request.prompt_cache_key;
  return extras;
}

/** Drops the keys whose value is undefined, so a canonical request carries only what the client asked. */
export function compact<T extends Record<string, unknown>>(value: T): T {
  for (const key of Object.keys(value)) if (value[key] === undefined) delete value[key];
  return value;
}
