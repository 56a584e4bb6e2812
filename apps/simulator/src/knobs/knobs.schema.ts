import { z } from 'zod';

/**
 * What an operator or a test can turn, per model (the model id as the request names it) or for every model (`*`).
 * Every field is optional; the effective knobs of a request are the defaults, overlaid by `*`, overlaid by the
 * model's own entry (field by field).
 */
export const knobsSchema = z.strictObject({
  /** Latency before the first byte of the answer (stream: the first chunk; non-stream: part of the whole delay), ms. */
  ttftMs: z.number().int().min(0).max(600_000).optional(),
  /** Pace of a stream after its first chunk (and of a non-stream answer's generation); 0 = as fast as possible. */
  tokensPerSecond: z.number().min(0).max(1_000_000).optional(),
  /** How many chunks a stream's content (and reasoning) is cut into; 0 = one chunk per token (word). */
  chunkCount: z.number().int().min(0).max(100_000).optional(),
  /** Share of requests that fail, 0..1, on a fixed cadence: request n fails when floor(n·rate) > floor((n−1)·rate). */
  failureRate: z.number().min(0).max(1).optional(),
  /** HTTP status of an injected `status` failure (429, 500, 503, 529…). */
  failureStatus: z.number().int().min(400).max(599).optional(),
  /** `status`: an error in the provider's shape; `hang`: never answer; `reset`: destroy the socket. */
  failureMode: z.enum(['status', 'hang', 'reset']).optional(),
  /** `reset` mode: 0 = before any byte; N = after N content chunks of a stream (a non-stream body is cut in half). */
  failAfterChunks: z.number().int().min(0).max(1_000_000).optional(),
  /** `Retry-After` of an injected 429/503/529, seconds. */
  retryAfterSeconds: z.number().int().min(0).max(86_400).optional(),
  /** true: reason even when the request does not ask (unless it turns reasoning off); false: never reason. */
  reasoning: z.boolean().optional(),
  /** Reasoning words (tokens) of a reasoning answer (capped by the request's reasoning budget and max tokens). */
  reasoningTokens: z.number().int().min(0).max(100_000).optional(),
  /** Share of the prompt reported as read from cache on every request (and the share used when a request marks a cache). */
  cachedRatio: z.number().min(0).max(1).optional(),
  /** Words of a text answer before max_tokens applies (overrides DEFAULT_COMPLETION_TOKENS). */
  completionTokens: z.number().int().min(0).max(1_000_000).optional(),
  /**
   * How a JSON answer (`response_format` json_object / json_schema) and a tool call's arguments come out malformed,
   * as models' answers do: `fenced` in a markdown code block, `prose` after a sentence, `unclosed` without its last
   * closing brace.
   */
  malformedJson: z.enum(['none', 'fenced', 'prose', 'unclosed']).optional(),
});
export type Knobs = z.infer<typeof knobsSchema>;

export const knobsByModelSchema = z.record(z.string().min(1), knobsSchema);
export type KnobsByModel = z.infer<typeof knobsByModelSchema>;

/** The knobs of one request after defaults are applied. */
export interface EffectiveKnobs {
  ttftMs: number;
  tokensPerSecond: number;
  chunkCount: number;
  failureRate: number;
  failureStatus: number;
  failureMode: 'status' | 'hang' | 'reset';
  failAfterChunks: number;
  retryAfterSeconds: number;
  reasoning: boolean | undefined;
  reasoningTokens: number;
  cachedRatio: number;
  completionTokens: number;
  malformedJson: 'none' | 'fenced' | 'prose' | 'unclosed';
}

export const WILDCARD_MODEL = '*';

export interface KnobDefaults {
  completionTokens: number;
  reasoningTokens: number;
}

export function baseKnobs(defaults: KnobDefaults): EffectiveKnobs {
  return {
    ttftMs: 0,
    tokensPerSecond: 0,
    chunkCount: 0,
    failureRate: 0,
    failureStatus: 500,
    failureMode: 'status',
    failAfterChunks: 0,
    retryAfterSeconds: 1,
    reasoning: undefined,
    reasoningTokens: defaults.reasoningTokens,
    cachedRatio: 0,
    completionTokens: defaults.completionTokens,
    malformedJson: 'none',
  };
}

/** Overlays knob layers field by field (undefined fields leave the lower layer in place). */
export function resolveKnobs(base: EffectiveKnobs, ...layers: Array<Knobs | undefined>): EffectiveKnobs {
  const result = { ...base };
  for (const layer of layers) {
    if (!layer) continue;
    for (const [key, value] of Object.entries(layer)) if (value !== undefined) (result as Record<string, unknown>)[key] = value;
  }
  return result;
}

/** Parses `SIMULATOR_KNOBS` (JSON object of model → knobs); throws with every problem listed. */
export function parseKnobsJson(text: string | undefined): KnobsByModel {
  if (text === undefined || text.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Error(`not valid JSON: ${(error as Error).message}`);
  }
  const result = knobsByModelSchema.safeParse(value);
  if (!result.success) throw new Error(result.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; '));
  return result.data;
}
