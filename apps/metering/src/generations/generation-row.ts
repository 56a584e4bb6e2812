import { generationCompletedSchema, type ParsedGenerationCompleted } from '@switchyard/contracts';
import { storableJson, storableText, storableTextOrNull } from '../common/postgres-text.js';

/** Largest value of a Postgres `integer` column (token counts). */
export const MAX_TOKEN_COUNT = 2_147_483_647;

/**
 * One row of `generations`, ready for the multi-row insert: strings cleaned for Postgres, JSON columns already
 * serialised, money as exact decimal strings (never numbers).
 */
export interface GenerationRow {
  id: string;
  requestId: string | null;
  accountId: string;
  keyId: string | null;
  keyHash: string | null;
  leaseId: string | null;
  apiType: string;
  model: string;
  requestedModel: string | null;
  endpointId: string | null;
  providerSlug: string | null;
  providerName: string | null;
  upstreamId: string | null;
  isByok: boolean;
  streamed: boolean;
  cancelled: boolean;
  /** ISO 8601, UTC. */
  createdAt: string;
  latencyMs: number | null;
  generationTimeMs: number | null;
  overheadMs: number | null;
  ttftMs: number | null;
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
  reasoningTokens: number;
  cachedTokens: number;
  cacheWriteTokens: number;
  promptImages: number | null;
  usageEstimated: boolean;
  /** JSON text of the provider's raw usage object. */
  usageRaw: string | null;
  /** USD charged, exact; null only for reconciled placeholders (`needsPricing`). */
  cost: string | null;
  upstreamCost: string | null;
  cacheDiscount: string | null;
  /** JSON text of the price snapshot. */
  pricing: string | null;
  finishReason: string | null;
  nativeFinishReason: string | null;
  /** JSON text of every attempt (OpenRouter's `provider_responses`). */
  attempts: string;
  sessionId: string | null;
  externalUser: string | null;
  appTitle: string | null;
  httpReferer: string | null;
  userAgent: string | null;
  reconciled: boolean;
  needsPricing: boolean;
  /** A response-cache hit: the id of the generation whose response was replayed; null when a provider served it. */
  responseCacheSourceId: string | null;
  /** The preset the request named (slug); null without one. */
  preset: string | null;
  /** Opted-in prompt/completion, JSON text each; null when the account did not opt in. */
  content: { input: string | null; output: string | null } | null;
}

export type MappingResult<T> = { ok: true; value: T } | { ok: false; reason: string };

const textDecoder = new TextDecoder();

/** Parses a message payload as JSON; `reason` says why it is not. */
export function parseJsonPayload(data: Uint8Array): MappingResult<unknown> {
  try {
    return { ok: true, value: JSON.parse(textDecoder.decode(data)) };
  } catch (error) {
    return { ok: false, reason: `payload is not JSON: ${(error as Error).message}` };
  }
}

/** "usage.promptTokens: Invalid input; id: must start with gen-" — the first few zod issues, for dead letters. */
export function describeIssues(issues: ReadonlyArray<{ path: PropertyKey[]; message: string }>): string {
  const shown = issues.slice(0, 8).map((issue) => `${issue.path.map(String).join('.') || '(root)'}: ${issue.message}`);
  return issues.length > shown.length ? `${shown.join('; ')}; and ${issues.length - shown.length} more` : shown.join('; ');
}

/** An ISO timestamp Postgres accepts (years 1970–9999), normalised to UTC, or null when the input is not one. */
export function normaliseTimestamp(value: string): string | null {
  const millis = Date.parse(value);
  if (!Number.isFinite(millis)) return null;
  const date = new Date(millis);
  const year = date.getUTCFullYear();
  if (year < 1970 || year > 9999) return null;
  return date.toISOString();
}

/** Validates a `generation-completed` payload and maps it to a row; a reason when the event is unusable (poison). */
export function mapGenerationEvent(payload: unknown): MappingResult<GenerationRow> {
  const parsed = generationCompletedSchema.safeParse(payload);
  if (!parsed.success) return { ok: false, reason: `invalid generation-completed event: ${describeIssues(parsed.error.issues)}` };
  return generationRowFromEvent(parsed.data);
}

export function generationRowFromEvent(event: ParsedGenerationCompleted): MappingResult<GenerationRow> {
  const createdAt = normaliseTimestamp(event.createdAt);
  if (!createdAt) return { ok: false, reason: `createdAt is not a usable timestamp: ${JSON.stringify(event.createdAt).slice(0, 80)}` };
  const usage = event.usage;
  for (const [name, value] of [
    ['promptTokens', usage.promptTokens],
    ['completionTokens', usage.completionTokens],
    ['totalTokens', usage.totalTokens],
    ['reasoningTokens', usage.reasoningTokens],
    ['cachedTokens', usage.cachedTokens],
    ['cacheWriteTokens', usage.cacheWriteTokens],
    ['images', usage.images ?? 0],
  ] as const) {
    if (value > MAX_TOKEN_COUNT) return { ok: false, reason: `usage.${name} ${value} exceeds ${MAX_TOKEN_COUNT}` };
  }
  return {
    ok: true,
    value: {
      id: storableText(event.id),
      requestId: storableText(event.requestId),
      accountId: storableText(event.accountId),
      keyId: storableText(event.keyId),
      keyHash: storableText(event.keyHash),
      leaseId: storableTextOrNull(event.leaseId),
      apiType: event.apiType,
      model: storableText(event.model),
      requestedModel: storableText(event.requestedModel),
      endpointId: storableTextOrNull(event.endpointId),
      providerSlug: storableTextOrNull(event.providerSlug),
      providerName: storableTextOrNull(event.providerName),
      upstreamId: storableTextOrNull(event.upstreamId),
      isByok: event.isByok,
      streamed: event.streamed,
      cancelled: event.cancelled,
      createdAt,
      latencyMs: event.latencyMs,
      generationTimeMs: event.generationTimeMs,
      overheadMs: event.overheadMs,
      ttftMs: event.ttftMs,
      promptTokens: usage.promptTokens,
      completionTokens: usage.completionTokens,
      totalTokens: usage.totalTokens,
      reasoningTokens: usage.reasoningTokens,
      cachedTokens: usage.cachedTokens,
      cacheWriteTokens: usage.cacheWriteTokens,
      promptImages: usage.images ?? null,
      usageEstimated: usage.estimated === true,
      usageRaw: storableJson(usage.raw),
      cost: event.cost,
      upstreamCost: event.upstreamCost,
      cacheDiscount: event.cacheDiscount,
      pricing: storableJson(event.pricing),
      finishReason: storableTextOrNull(event.finishReason),
      nativeFinishReason: storableTextOrNull(event.nativeFinishReason),
      attempts: storableJson(event.attempts) ?? '[]',
      sessionId: storableTextOrNull(event.sessionId),
      externalUser: storableTextOrNull(event.externalUser),
      appTitle: storableTextOrNull(event.appTitle),
      httpReferer: storableTextOrNull(event.httpReferer),
      userAgent: storableTextOrNull(event.userAgent),
      reconciled: event.reconciled,
      needsPricing: false,
      responseCacheSourceId: storableTextOrNull(event.responseCacheSourceId),
      preset: storableTextOrNull(event.preset),
      content: event.content ? { input: storableJson(event.content.input), output: storableJson(event.content.output) } : null,
    },
  };
}
