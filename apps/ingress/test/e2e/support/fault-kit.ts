import { TEST_ADMIN_TOKEN, waitFor } from '@switchyard/nest-kit/testing';
import type { Stack } from '../stack.js';

/**
 * Helpers for the end-to-end fault tests: simulator knobs and counters, the routing health table and metrics,
 * catalog endpoints created per scenario (so one scenario's failures never colour another's health), plain
 * chat calls that keep status, headers and body, and a small concurrency runner.
 */

export interface SimulatorKnobs {
  ttftMs?: number;
  tokensPerSecond?: number;
  chunkCount?: number;
  failureRate?: number;
  failureStatus?: number;
  retryAfterSeconds?: number;
  failureMode?: 'status' | 'hang' | 'reset';
  failAfterChunks?: number;
  completionTokens?: number;
}

export interface SimulatorCounters {
  requests: number;
  completed: number;
  failed: number;
  reset: number;
  cancelled: number;
  hung: number;
  promptTokens: number;
  completionTokens: number;
  reported: { promptTokens: number; completionTokens: number; responses: number };
}

export interface ChatCall {
  status: number;
  headers: Headers;
  /** The JSON body (a completion or an error envelope); undefined for an event stream. */
  body: any;
  /** The body as received. */
  raw: string;
  /** The answer was an event stream. */
  stream: boolean;
  /** Parsed `data:` payloads of an event stream, `[DONE]` excluded. */
  chunks: any[];
  /** The stream ended with `data: [DONE]`. */
  done: boolean;
  /** The top-level `error` of a stream chunk, if one carried it. */
  streamError: unknown;
  /** The answer's text: `message.content`, or the concatenated `delta.content` of a stream. */
  content: string;
  /** SSE comment lines before the first `data:` line. */
  commentsBeforeData: number;
  /** `X-Generation-Id`, or the body's id. */
  generationId: string;
  /** Client-side wall time of the call, ms. */
  ms: number;
  /** `performance.now()` when the call started. */
  startedAt: number;
}

export interface ScenarioModel {
  modelId: string;
  endpoints: Array<{ id: string; tag: string; upstreamModelId: string }>;
}

/** One attempt as `GET /generation` lists it (`provider_responses`). */
export interface ProviderResponse {
  endpoint_id: string | null;
  provider_name: string | null;
  status: number | null;
  latency: number | null;
}

export class FaultKit {
  constructor(private readonly stack: Stack) {}

  // ---- simulator ----------------------------------------------------------------------------------------------

  async setKnobs(upstreamModelId: string, knobs: SimulatorKnobs): Promise<void> {
    const response = await this.stack.admin('simulator', 'PUT', `/admin/knobs/${encodeURIComponent(upstreamModelId)}`, knobs);
    if (response.status !== 200) throw new Error(`simulator knobs for ${upstreamModelId}: ${response.status} ${JSON.stringify(response.body)}`);
  }

  async clearKnobs(upstreamModelId: string): Promise<void> {
    const response = await this.stack.admin('simulator', 'DELETE', `/admin/knobs/${encodeURIComponent(upstreamModelId)}`);
    // 404: no knobs set for it, which is what was asked.
    if (response.status !== 200 && response.status !== 204 && response.status !== 404) throw new Error(`simulator knob delete for ${upstreamModelId}: ${response.status}`);
  }

  async usage(upstreamModelId: string): Promise<SimulatorCounters> {
    const response = await this.stack.admin('simulator', 'GET', '/admin/usage');
    const counters = response.body.models?.[upstreamModelId];
    return counters ?? { requests: 0, completed: 0, failed: 0, reset: 0, cancelled: 0, hung: 0, promptTokens: 0, completionTokens: 0, reported: { promptTokens: 0, completionTokens: 0, responses: 0 } };
  }

  async inflight(): Promise<{ count: number; requests: Array<{ model: string; phase: string; completionTokensSent: number }> }> {
    return (await this.stack.admin('simulator', 'GET', '/admin/inflight')).body;
  }

  // ---- routing ------------------------------------------------------------------------------------------------

  /** The endpoint's row of routing's admin health table (state, breaker details, outcomes per window). */
  async healthOf(endpointId: string): Promise<any> {
    const response = await this.stack.admin('routing', 'GET', '/admin/health-table');
    if (response.status !== 200) throw new Error(`routing health table: ${response.status}`);
    return (response.body.endpoints as Array<{ id: string }>).find((row) => row.id === endpointId);
  }

  /** `switchyard_breaker_transitions_total` of one endpoint, keyed `from->to`. */
  async breakerTransitions(endpointId: string): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    for (const { labels, value } of await this.routingMetric('switchyard_breaker_transitions_total')) {
      if (labels.endpoint === endpointId) counts[`${labels.from}->${labels.to}`] = value;
    }
    return counts;
  }

  /** `switchyard_probes_total` by outcome (every endpoint). */
  async probes(): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    for (const { labels, value } of await this.routingMetric('switchyard_probes_total')) counts[labels.outcome ?? ''] = value;
    return counts;
  }

  /** `switchyard_routing_table_versions_published_total` summed by form (`whole` or `announced`). */
  async tablePublications(): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    for (const { labels, value } of await this.routingMetric('switchyard_routing_table_versions_published_total')) counts[labels.form ?? ''] = (counts[labels.form ?? ''] ?? 0) + value;
    return counts;
  }

  private async routingMetric(name: string): Promise<Array<{ labels: Record<string, string>; value: number }>> {
    const response = await fetch(`${this.stack.adminUrl('routing')}/metrics`, { headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } });
    const samples = [];
    for (const line of (await response.text()).split('\n')) {
      if (!line.startsWith(`${name}{`)) continue;
      const labels = Object.fromEntries([...line.matchAll(/(\w+)="([^"]*)"/g)].map((match) => [match[1]!, match[2]!]));
      samples.push({ labels, value: Number(line.slice(line.lastIndexOf(' ') + 1)) });
    }
    return samples;
  }

  // ---- catalog ------------------------------------------------------------------------------------------------

  /**
   * A model of its own with one simulator endpoint per tag (`simulator/<suffix>`), each with its own upstream
   * model id (so knobs break one and not the other), then waits until ingress plans it.
   */
  async createScenarioModel(name: string, endpoints: Array<{ suffix: string; prompt: string; completion: string }>): Promise<ScenarioModel> {
    const modelId = `e2e-faults/${name}`;
    const created = await this.stack.admin('catalog', 'POST', '/admin/models', {
      id: modelId,
      canonicalSlug: modelId,
      name: `E2E faults: ${name}`,
      created: 1_764_000_000,
      contextLength: 32_768,
      tokenizer: 'Other',
    });
    if (created.status !== 201 && created.status !== 200) throw new Error(`create model ${modelId}: ${created.status} ${JSON.stringify(created.body)}`);
    const result = [];
    for (const endpoint of endpoints) {
      const tag = `simulator/${endpoint.suffix}`;
      const upstreamModelId = `e2e-${name}-${endpoint.suffix}`;
      const response = await this.stack.admin('catalog', 'POST', '/admin/endpoints', {
        modelId,
        providerSlug: 'simulator',
        tag,
        upstreamModelId,
        pricing: { prompt: endpoint.prompt, completion: endpoint.completion },
        supportedParameters: ['max_tokens', 'temperature'],
      });
      if (response.status !== 201 && response.status !== 200) throw new Error(`create endpoint ${tag}: ${response.status} ${JSON.stringify(response.body)}`);
      result.push({ id: `${modelId}@${tag}`, tag, upstreamModelId });
    }
    await waitFor(
      async () => {
        const response = await fetch(`${this.stack.baseUrl}/models/${modelId}/endpoints`);
        if (response.status !== 200) return false;
        const body = (await response.json()) as { data: { endpoints: unknown[] } };
        return body.data.endpoints.length === endpoints.length;
      },
      { timeoutMs: 10_000, message: `ingress sees ${modelId} with ${endpoints.length} endpoints` },
    );
    return { modelId, endpoints: result };
  }

  // ---- the public API -----------------------------------------------------------------------------------------

  async chat(body: Record<string, unknown>, init: { signal?: AbortSignal; headers?: Record<string, string> } = {}): Promise<ChatCall> {
    const startedAt = performance.now();
    const response = await fetch(`${this.stack.baseUrl}/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${this.stack.demoKey}`, 'content-type': 'application/json', ...init.headers },
      body: JSON.stringify(body),
      signal: init.signal,
    });
    const raw = await response.text();
    const ms = performance.now() - startedAt;
    const stream = (response.headers.get('content-type') ?? '').startsWith('text/event-stream');
    const call: ChatCall = { status: response.status, headers: response.headers, body: undefined, raw, stream, chunks: [], done: false, streamError: undefined, content: '', commentsBeforeData: 0, generationId: response.headers.get('x-generation-id') ?? '', ms, startedAt };
    if (stream) {
      let seenData = false;
      for (const event of parseSse(raw)) {
        if (event.kind === 'comment') {
          if (!seenData) call.commentsBeforeData++;
          continue;
        }
        seenData = true;
        if (event.data === '[DONE]') {
          call.done = true;
          continue;
        }
        const chunk = JSON.parse(event.data);
        call.chunks.push(chunk);
        if (chunk.error !== undefined) call.streamError = chunk.error;
        call.content += chunk.choices?.[0]?.delta?.content ?? '';
      }
    } else {
      try {
        call.body = JSON.parse(raw);
      } catch {
        call.body = raw;
      }
      call.content = call.body?.choices?.[0]?.message?.content ?? '';
    }
    if (!call.generationId && typeof call.body?.id === 'string') call.generationId = call.body.id;
    if (!call.generationId && typeof call.chunks[0]?.id === 'string') call.generationId = call.chunks[0].id;
    return call;
  }

  /** The generation record (metering, through ingress), once written. */
  async generation(id: string, timeoutMs = 15_000): Promise<any> {
    return waitFor(
      async () => {
        const response = await fetch(`${this.stack.baseUrl}/generation?id=${encodeURIComponent(id)}`, { headers: { authorization: `Bearer ${this.stack.demoKey}` } });
        return response.status === 200 ? ((await response.json()) as { data: any }).data : undefined;
      },
      { timeoutMs, intervalMs: 100, message: `generation ${id} recorded` },
    );
  }
}

/** Runs `count` jobs with at most `concurrency` at once, in start order; results in job order. */
export async function runConcurrently<T>(count: number, concurrency: number, job: (index: number) => Promise<T>): Promise<T[]> {
  const results = new Array<T>(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const index = next++;
      results[index] = await job(index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return results;
}

/** Parses an SSE body into its comment lines and data payloads, in order. */
export function parseSse(text: string): Array<{ kind: 'comment'; text: string } | { kind: 'data'; data: string }> {
  const events: Array<{ kind: 'comment'; text: string } | { kind: 'data'; data: string }> = [];
  for (const line of text.split('\n')) {
    if (line.startsWith(':')) events.push({ kind: 'comment', text: line });
    else if (line.startsWith('data: ')) events.push({ kind: 'data', data: line.slice(6) });
  }
  return events;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
