import Anthropic from '@anthropic-ai/sdk';
import { waitFor } from '@switchyard/nest-kit/testing';
import OpenAI from 'openai';
import { expectedPromptTokens, fetchJson, startSimulator, type RunningSimulator } from './simulator-harness.js';

describe('knobs: latency, pace, failures, cancellation and the billing counters', () => {
  let simulator: RunningSimulator;
  let client: OpenAI;

  beforeAll(async () => {
    simulator = await startSimulator();
    client = new OpenAI({ apiKey: 'k', baseURL: `${simulator.upstream}/openai/v1`, maxRetries: 0 });
  });

  afterAll(async () => {
    await simulator.close();
  });

  beforeEach(async () => {
    await simulator.reset();
  });

  const chat = (model: string, content = 'hello') => fetchJson(`${simulator.upstream}/openai/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: 'Bearer k', 'content-type': 'application/json' },
    body: JSON.stringify({ model, messages: [{ role: 'user', content }] }),
  });

  it('waits ttftMs before the first byte, for that model only (knob keys are the model ids)', async () => {
    await simulator.setKnobs('slow/model', { ttftMs: 300 });
    let started = performance.now();
    const response = await chat('slow/model');
    expect(response.status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);

    started = performance.now();
    const stream = await client.chat.completions.create({ model: 'slow/model', messages: [{ role: 'user', content: 'hi' }], stream: true });
    let firstChunkAt = 0;
    for await (const _chunk of stream) firstChunkAt ||= performance.now() - started;
    expect(firstChunkAt).toBeGreaterThanOrEqual(290);

    started = performance.now();
    await (await chat('fast/model')).json();
    expect(performance.now() - started).toBeLessThan(290);
  });

  it('paces stream chunks at tokensPerSecond and cuts content into chunkCount chunks', async () => {
    await simulator.setKnobs('*', { tokensPerSecond: 100, completionTokens: 11 });
    const started = performance.now();
    const stream = await client.chat.completions.create({ model: 'paced/model', messages: [{ role: 'user', content: 'hi' }], stream: true });
    let contentChunks = 0;
    for await (const chunk of stream) if (chunk.choices[0]?.delta.content) contentChunks++;
    expect(contentChunks).toBe(11);
    // 10 tokens after the first at 100 tokens/s: the last is sent at least 100 ms after the first. Measured from
    // the request's start, because arrival gaps shrink when this busy client reads the first chunk late; an
    // unpaced stream ends within a few ms.
    expect(performance.now() - started).toBeGreaterThanOrEqual(95);

    await simulator.setKnobs('*', { chunkCount: 3, completionTokens: 11 });
    const chunked = await client.chat.completions.create({ model: 'paced/model', messages: [{ role: 'user', content: 'hi' }], stream: true });
    const pieces: string[] = [];
    for await (const chunk of chunked) if (chunk.choices[0]?.delta.content) pieces.push(chunk.choices[0].delta.content);
    expect(pieces).toHaveLength(3);
    expect(pieces.join('').split(' ')).toHaveLength(11);
  });

  it('fails with 429 and Retry-After in each provider shape', async () => {
    await simulator.setKnobs('*', { failureRate: 1, failureStatus: 429, retryAfterSeconds: 7 });
    const error = await client.chat.completions.create({ model: 'limited/model', messages: [{ role: 'user', content: 'x' }] }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    expect(error).toMatchObject({ status: 429, code: 'rate_limit_exceeded' });
    expect((error as InstanceType<typeof OpenAI.RateLimitError>).headers.get('retry-after')).toBe('7');

    const anthropic = new Anthropic({ apiKey: 'k', baseURL: `${simulator.upstream}/anthropic`, maxRetries: 0 });
    const anthropicError = await anthropic.messages.create({ model: 'limited/model', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] }).catch((caught: unknown) => caught);
    expect(anthropicError).toBeInstanceOf(Anthropic.RateLimitError);
    expect(anthropicError).toMatchObject({ status: 429, error: { type: 'error', error: { type: 'rate_limit_error' } } });

    const gemini = await fetchJson(`${simulator.upstream}/gemini/v1beta/models/limited%2Fmodel:generateContent`, { method: 'POST', headers: { 'x-goog-api-key': 'k' }, body: JSON.stringify({ contents: [{ parts: [{ text: 'x' }] }] }) });
    expect(gemini.status).toBe(429);
    expect(gemini.headers.get('retry-after')).toBe('7');
    expect(await gemini.json()).toMatchObject({ error: { code: 429, status: 'RESOURCE_EXHAUSTED', details: [{ retryDelay: '7s' }] } });

    expect((await simulator.usage()).models['limited/model']).toMatchObject({ requests: 3, failed: 3, promptTokens: 0, completionTokens: 0 });
  });

  it('fails every other request at failureRate 0.5, with 529 overloaded in the Anthropic shape', async () => {
    await simulator.setKnobs('flaky/model', { failureRate: 0.5, failureStatus: 529 });
    const statuses = [];
    for (let index = 0; index < 6; index++) {
      const response = await fetchJson(`${simulator.upstream}/anthropic/v1/messages`, {
        method: 'POST',
        headers: { 'x-api-key': 'k', 'anthropic-version': '2023-06-01' },
        body: JSON.stringify({ model: 'flaky/model', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] }),
      });
      statuses.push(response.status);
      const body = await response.json();
      if (response.status === 529) expect(body).toMatchObject({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } });
    }
    expect(statuses).toEqual([200, 529, 200, 529, 200, 529]);
    expect((await simulator.usage()).models['flaky/model']).toMatchObject({ requests: 6, completed: 3, failed: 3, completionTokens: 30 });
  });

  it('hangs until the client goes away, then frees the request at once (inflight back to 0)', async () => {
    await simulator.setKnobs('hang/model', { failureRate: 1, failureMode: 'hang' });
    const controller = new AbortController();
    const pending = fetchJson(`${simulator.upstream}/openai/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: 'Bearer k' },
      body: JSON.stringify({ model: 'hang/model', messages: [{ role: 'user', content: 'x' }] }),
      signal: controller.signal,
    }).catch((error: unknown) => error);
    await waitFor(async () => (await simulator.inflight()).requests.some((request) => request.model === 'hang/model' && request.phase === 'hanging'), { message: 'hanging request', intervalMs: 10 });
    const abortedAt = performance.now();
    controller.abort();
    await waitFor(async () => (await simulator.inflight()).count === 0, { timeoutMs: 2_000, intervalMs: 5, message: 'inflight back to 0' });
    expect(performance.now() - abortedAt).toBeLessThan(200);
    // Errors of Node's fetch come from another realm than Jest's: compare names, not constructors.
    expect(await pending).toMatchObject({ name: 'AbortError' });
    expect((await simulator.usage()).models['hang/model']).toMatchObject({ requests: 1, hung: 1, promptTokens: 0, completionTokens: 0 });
  });

  it('resets the connection before any byte when failAfterChunks is 0', async () => {
    await simulator.setKnobs('reset/model', { failureRate: 1, failureMode: 'reset' });
    const error = (await chat('reset/model').catch((caught: unknown) => caught)) as Error & { cause?: { code?: string } };
    expect(error).toMatchObject({ name: 'TypeError', message: 'fetch failed' });
    expect(error.cause?.code ?? String(error.cause)).toMatch(/ECONNRESET|UND_ERR_SOCKET|other side closed/);
    expect((await simulator.usage()).models['reset/model']).toMatchObject({ requests: 1, reset: 1, promptTokens: 0, completionTokens: 0 });
  });

  it('resets mid-stream after N content chunks: the client sees a truncated stream, the counters the tokens sent', async () => {
    await simulator.setKnobs('cut/model', { failureRate: 1, failureMode: 'reset', failAfterChunks: 3 });
    const stream = await client.chat.completions.create({ model: 'cut/model', messages: [{ role: 'user', content: 'cut me' }], stream: true, stream_options: { include_usage: true } });
    const pieces: string[] = [];
    const outcome = await (async () => {
      for await (const chunk of stream) if (chunk.choices[0]?.delta.content) pieces.push(chunk.choices[0].delta.content);
      return 'ended';
    })().catch((error: unknown) => error);
    expect(outcome).toMatchObject({ message: expect.stringMatching(/terminated|closed|aborted|socket/i) });
    expect(pieces).toHaveLength(3);
    await waitFor(async () => (await simulator.inflight()).count === 0, { message: 'reset request gone' });
    expect((await simulator.usage()).models['cut/model']).toMatchObject({
      requests: 1,
      reset: 1,
      promptTokens: expectedPromptTokens('cut me'),
      completionTokens: 3,
      reported: { responses: 0, completionTokens: 0 },
    });
  });

  it('cuts a non-streamed body in half on a mid-answer reset (the whole answer is billed, never reported)', async () => {
    await simulator.setKnobs('cut/model', { failureRate: 1, failureMode: 'reset', failAfterChunks: 1 });
    const response = await chat('cut/model', 'whole');
    await expect(response.text()).rejects.toThrow();
    expect((await simulator.usage()).models['cut/model']).toMatchObject({ reset: 1, completionTokens: 24, reported: { responses: 0 } });
  });

  it('stops a stream at once when the client goes away, counting it cancelled with the tokens sent so far', async () => {
    await simulator.setKnobs('cancel/model', { tokensPerSecond: 20 });
    const controller = new AbortController();
    const stream = await client.chat.completions.create({ model: 'cancel/model', messages: [{ role: 'user', content: 'long' }], stream: true, stream_options: { include_usage: true } }, { signal: controller.signal });
    let received = 0;
    const reading = (async () => {
      for await (const chunk of stream) {
        if (chunk.choices[0]?.delta.content) received++;
        if (received === 2) controller.abort();
      }
    })().catch(() => undefined);
    await reading;
    const abortedAt = performance.now();
    await waitFor(async () => (await simulator.inflight()).count === 0, { timeoutMs: 2_000, intervalMs: 5, message: 'cancelled stream gone' });
    expect(performance.now() - abortedAt).toBeLessThan(200);
    const usage = (await simulator.usage()).models['cancel/model'];
    expect(usage).toMatchObject({ requests: 1, cancelled: 1, promptTokens: expectedPromptTokens('long'), reported: { responses: 0 } });
    expect(usage.completionTokens).toBeGreaterThanOrEqual(2);
    expect(usage.completionTokens).toBeLessThan(6);
  });

  it('reasons and reports cached tokens by knob, for every format', async () => {
    await simulator.setKnobs('knobbed/model', { reasoning: true, reasoningTokens: 5, cachedRatio: 0.25, completionTokens: 7 });
    const completion = await client.chat.completions.create({ model: 'knobbed/model', messages: [{ role: 'user', content: 'x'.repeat(100) }] });
    const prompt = expectedPromptTokens('x'.repeat(100));
    expect(completion.usage).toMatchObject({ prompt_tokens: prompt, completion_tokens: 12, prompt_tokens_details: { cached_tokens: Math.floor(prompt * 0.25) }, completion_tokens_details: { reasoning_tokens: 5 } });
    const gemini = await (
      await fetchJson(`${simulator.upstream}/gemini/v1beta/models/knobbed%2Fmodel:generateContent`, { method: 'POST', headers: { 'x-goog-api-key': 'k' }, body: JSON.stringify({ contents: [{ parts: [{ text: 'x'.repeat(100) }] }] }) })
    ).json();
    expect(gemini.usageMetadata).toMatchObject({ promptTokenCount: prompt, candidatesTokenCount: 7, thoughtsTokenCount: 5, cachedContentTokenCount: Math.floor(prompt * 0.25) });
    // Thoughts were not asked to be included: none in the parts, but the signature is there.
    expect(gemini.candidates[0].content.parts).toHaveLength(1);
    expect(gemini.candidates[0].content.parts[0].thoughtSignature).toBeTruthy();
  });
});
