import { type AttemptUsage, type GenerationCompleted, newAttemptId, newGenerationId } from '@switchyard/contracts';
import { randomInt } from 'node:crypto';

/** A random cost with up to 12 decimal places, as ingress computes them ("0.000123456789"). */
export function randomCost(): string {
  const micro = randomInt(0, 5_000_000_000);
  const text = String(micro).padStart(13, '0');
  const value = `${text.slice(0, -12)}.${text.slice(-12)}`.replace(/\.?0+$/, '');
  return value === '' ? '0' : value;
}

/** A valid `generation-completed` event; every field can be overridden. */
export function generationEvent(overrides: Partial<GenerationCompleted> = {}): GenerationCompleted {
  const id = overrides.id ?? newGenerationId();
  const promptTokens = randomInt(1, 5_000);
  const completionTokens = randomInt(1, 2_000);
  const cost = randomCost();
  return {
    id,
    requestId: `req-${id.slice(4)}`,
    accountId: 'acct-1',
    keyId: 'key-1',
    keyHash: 'f'.repeat(64),
    leaseId: null,
    apiType: 'completions',
    model: 'openai/gpt-4o-mini',
    requestedModel: 'openai/gpt-4o-mini',
    endpointId: 'openai/gpt-4o-mini@openai',
    providerSlug: 'openai',
    providerName: 'OpenAI',
    upstreamId: `chatcmpl-${id.slice(-8)}`,
    isByok: false,
    streamed: true,
    cancelled: false,
    createdAt: new Date().toISOString(),
    latencyMs: 812.4,
    generationTimeMs: 790.1,
    overheadMs: 3.25,
    ttftMs: 120,
    usage: { promptTokens, completionTokens, totalTokens: promptTokens + completionTokens, cachedTokens: randomInt(0, promptTokens), reasoningTokens: randomInt(0, completionTokens) },
    pricing: { prompt: '0.00000015', completion: '0.0000006' },
    cost,
    upstreamCost: cost,
    cacheDiscount: '0',
    finishReason: 'stop',
    nativeFinishReason: 'stop',
    attempts: [
      {
        attemptId: newAttemptId(),
        endpointId: overrides.endpointId ?? 'openai/gpt-4o-mini@openai',
        providerSlug: overrides.providerSlug ?? 'openai',
        providerName: overrides.providerName ?? 'OpenAI',
        modelId: overrides.model ?? 'openai/gpt-4o-mini',
        ok: true,
        status: 200,
        latencyMs: 790.1,
      },
    ],
    sessionId: null,
    externalUser: null,
    appTitle: null,
    httpReferer: null,
    userAgent: 'metering-test/1.0',
    content: null,
    ...overrides,
  };
}

export function attemptUsageEvent(overrides: Partial<AttemptUsage> & { generationId: string }): AttemptUsage {
  return {
    attemptId: newAttemptId(),
    accountId: 'acct-1',
    endpointId: 'openai/gpt-4o-mini@openai',
    usage: { promptTokens: 100, completionTokens: 50, totalTokens: 150 },
    at: Date.now(),
    ...overrides,
  };
}

/** A small RFC 4180 parser for asserting on exports (quoted fields, doubled quotes, CRLF). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let index = 0; index < text.length; index++) {
    const char = text[index]!;
    if (quoted) {
      if (char === '"' && text[index + 1] === '"') {
        field += '"';
        index++;
      } else if (char === '"') quoted = false;
      else field += char;
    } else if (char === '"') quoted = true;
    else if (char === ',') {
      row.push(field);
      field = '';
    } else if (char === '\r' && text[index + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      index++;
    } else field += char;
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}
