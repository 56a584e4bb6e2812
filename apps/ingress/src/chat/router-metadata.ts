import type { AttemptRecord, GatewayError } from '@switchyard/contracts';
import { isAutoRouter, isFreeRouter, type PlannedAttempt, type PlanStrategy } from '@switchyard/routing-policy';

/** The request headers that ask for router metadata (the second is OpenRouter's legacy name). */
const METADATA_HEADERS = ['x-openrouter-metadata', 'x-openrouter-experimental-metadata'] as const;

/** `X-OpenRouter-Metadata: enabled` (case-insensitive); any other value, or none, is disabled. */
export function routerMetadataRequested(headers: Record<string, string | string[] | undefined>): boolean {
  return METADATA_HEADERS.some((name) => {
    const value = headers[name];
    return (Array.isArray(value) ? value[0] : value)?.trim().toLowerCase() === 'enabled';
  });
}

/** OpenRouter's router metadata (reference §11.9; experimental there too): what the router did for one response. */
export interface RouterMetadata {
  /** The model (or alias) the client sent. */
  requested: string;
  strategy: 'direct' | 'auto' | 'free' | 'latest' | 'alias' | 'fallback';
  region: null;
  summary: string;
  /** 1-based: the attempt that served (more than 1: earlier attempts failed over). */
  attempt: number;
  is_byok: boolean;
  endpoints: { total: number; available: Array<{ provider: string; model: string; selected: boolean }> };
  attempts: Array<{ provider: string; model: string; endpoint_id: string; status: number; error_type: string | null; latency_ms: number; is_byok: boolean }>;
  pipeline: Array<{ type: string; name: string; summary: string; data?: Record<string, unknown> }>;
}

export interface RouterMetadataInput {
  requested: string;
  planned: readonly PlannedAttempt[];
  planStrategy: PlanStrategy;
  /** The attempt that served; undefined when every attempt failed. */
  served: PlannedAttempt | undefined;
  /** The model label that served (with its variant); undefined with `served`. */
  servedModel: string | undefined;
  records: readonly AttemptRecord[];
  /** Messages middle-out compression dropped (0: none). */
  droppedMessages: number;
  /** What the account's guardrails redacted from the prompt (detectors, `keyword:<keyword>`); none when absent. */
  redacted?: readonly string[];
  /** The response-healing plugin repaired the answer's JSON. */
  healed?: boolean;
  /** The preset the request named, at the version used. */
  preset?: { slug: string; version: number } | undefined;
  /** The serving attempt's stream broke after content was sent (no failover then). */
  failedMidStream?: boolean;
}

/** Builds the metadata of a served generation from its plan and the attempts made. */
export function routerMetadata(input: RouterMetadataInput): RouterMetadata {
  const { requested, planned, served, records } = input;
  const attempt = records.length;
  const model = served?.model.id ?? planned[0]?.model.id ?? requested;
  const strategy = model !== planned[0]?.model.id ? 'fallback' : strategyOf(requested, model);
  const pipeline: RouterMetadata['pipeline'] = [
    { type: 'routing', name: input.planStrategy, summary: `${planned.length} endpoint${planned.length === 1 ? '' : 's'} planned by ${input.planStrategy}; first: ${planned[0]?.endpoint.id ?? 'none'} (${planned[0]?.reason ?? ''})` },
    ...requestStages(input),
  ];
  if (served && input.failedMidStream) pipeline.push({ type: 'stream', name: 'failed', summary: `${served.provider.name} failed after the stream started: no failover once content was sent` });
  if (input.healed) pipeline.push({ type: 'response-healing', name: 'json-repair', summary: "the answer's malformed JSON was repaired" });
  if (served && attempt > 1) pipeline.push({ type: 'fallback', name: 'failover', summary: `${attempt - 1} attempt${attempt === 2 ? '' : 's'} failed before ${served.provider.name} served` });
  if (!served) pipeline.push({ type: 'fallback', name: 'failover', summary: `every attempt failed (${attempt})` });
  return {
    requested,
    strategy,
    region: null,
    summary: served
      ? `${served.provider.name} served ${input.servedModel} on attempt ${attempt} of ${planned.length} planned endpoint${planned.length === 1 ? '' : 's'}`
      : `no provider served: ${attempt} of ${planned.length} planned endpoint${planned.length === 1 ? '' : 's'} tried, every one failed`,
    attempt,
    is_byok: served?.isByok ?? false,
    endpoints: {
      total: planned.length,
      available: planned.map((candidate) => ({ provider: candidate.provider.name, model: candidate.model.id, selected: candidate.endpoint.id === served?.endpoint.id })),
    },
    attempts: records.map((record) => ({ provider: record.providerName, model: record.modelId, endpoint_id: record.endpointId, status: record.status, error_type: record.errorType, latency_ms: record.latencyMs, is_byok: record.isByok })),
    pipeline,
  };
}

/** How the model asked for relates to the model planned first (a fallback is told apart by the caller). */
function strategyOf(requested: string, model: string): RouterMetadata['strategy'] {
  if (requested.startsWith('~')) return 'latest';
  if (requested.endsWith(':free') || isFreeRouter(requested)) return 'free';
  if (isAutoRouter(requested)) return 'auto';
  return requested !== model && !requested.startsWith(`${model}:`) ? 'alias' : 'direct';
}

/** The stages the request itself went through before routing: its preset, middle-out compression. */
function requestStages(input: Pick<RouterMetadataInput, 'preset' | 'droppedMessages' | 'redacted'>): RouterMetadata['pipeline'] {
  const stages: RouterMetadata['pipeline'] = [];
  if (input.preset) stages.push({ type: 'preset', name: input.preset.slug, summary: `preset ${input.preset.slug} (version ${input.preset.version}) applied under the request's fields`, data: { version: input.preset.version } });
  if (input.redacted?.length) stages.push({ type: 'guardrails', name: 'redact', summary: `the account's guardrails redacted ${input.redacted.join(', ')} from the prompt`, data: { patterns: [...input.redacted] } });
  if (input.droppedMessages > 0) stages.push({ type: 'context-compression', name: 'middle-out', summary: `${input.droppedMessages} message${input.droppedMessages === 1 ? '' : 's'} dropped from the middle to fit the context`, data: { dropped_messages: input.droppedMessages } });
  return stages;
}

export interface RefusedRouterMetadataInput extends Pick<RouterMetadataInput, 'requested' | 'preset' | 'droppedMessages' | 'redacted'> {
  /** Where the request was refused: no endpoint could serve it (routing), or its account could not pay (admission). */
  stage: 'routing' | 'admission';
  /** The endpoints planned before admission refused (none when routing did). */
  planned: readonly PlannedAttempt[];
  error: GatewayError;
}

/** The metadata of a request refused before any attempt: what was asked for, what was planned, and why it stopped. */
export function refusedRouterMetadata(input: RefusedRouterMetadataInput): RouterMetadata {
  const { requested, planned, stage, error } = input;
  const model = planned[0]?.model.id ?? requested;
  return {
    requested,
    strategy: strategyOf(requested, model),
    region: null,
    summary: stage === 'routing' ? `no endpoint can serve ${requested}: ${error.message}` : `refused before any attempt (${error.status}): ${error.message}`,
    attempt: 0,
    is_byok: false,
    endpoints: { total: planned.length, available: planned.map((candidate) => ({ provider: candidate.provider.name, model: candidate.model.id, selected: false })) },
    attempts: [],
    pipeline: [...requestStages(input), { type: stage, name: stage === 'routing' ? 'no-endpoints' : 'refused', summary: error.message, data: { status: error.status } }],
  };
}
