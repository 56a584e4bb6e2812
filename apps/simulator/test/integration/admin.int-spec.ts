import { ConfigError, parseConfig } from '@switchyard/nest-kit';
import { TEST_ADMIN_TOKEN } from '@switchyard/nest-kit/testing';
import { simulatorConfigSchema } from '../../src/config/simulator.config.js';
import { fetchJson, startSimulator, type RunningSimulator } from './simulator-harness.js';

describe('admin API, health, metrics and lifecycle', () => {
  let simulator: RunningSimulator;

  beforeAll(async () => {
    simulator = await startSimulator({ SIMULATOR_KNOBS: JSON.stringify({ 'env/model': { completionTokens: 2 } }) });
  });

  afterAll(async () => {
    await simulator.close();
  });

  const ask = async (model: string) =>
    (
      await fetchJson(`${simulator.upstream}/openai/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: 'Bearer k' },
        body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }),
      })
    ).json();

  it('guards every admin route with the admin token', async () => {
    for (const path of ['/admin/knobs', '/admin/usage', '/admin/inflight', '/admin/upstream', '/admin/health', '/metrics']) {
      const response = await fetchJson(`${simulator.admin}${path}`);
      expect(response.status).toBe(401);
    }
    const reset = await fetchJson(`${simulator.admin}/admin/reset`, { method: 'POST' });
    expect(reset.status).toBe(401);
  });

  it('reports health with the NATS check and where the upstreams listen', async () => {
    const health = await (await simulator.adminFetch('/admin/health')).json();
    expect(health).toMatchObject({ status: 'ok', service: 'simulator', checks: { nats: { ok: true } } });
    const upstream = await (await simulator.adminFetch('/admin/upstream')).json();
    expect(`http://127.0.0.1:${upstream.port}`).toBe(simulator.upstream);
    expect(upstream.baseUrls.openai).toBe(`${simulator.upstream}/openai/v1`);
    expect(await (await fetchJson(`${simulator.upstream}/health`)).text()).toBe('ok');
  });

  it('sets, reads and deletes knobs per URL-encoded model id, and applies them at once', async () => {
    expect((await ask('openai/gpt-4o-mini')).usage.completion_tokens).toBe(24);
    await simulator.setKnobs('openai/gpt-4o-mini', { completionTokens: 5 });
    expect((await ask('openai/gpt-4o-mini')).usage.completion_tokens).toBe(5);
    const listed = await (await simulator.adminFetch('/admin/knobs')).json();
    expect(listed.knobs).toMatchObject({ 'openai/gpt-4o-mini': { completionTokens: 5 }, 'env/model': { completionTokens: 2 } });
    expect(listed.defaults).toMatchObject({ completionTokens: 24, reasoningTokens: 16, ttftMs: 0, failureStatus: 500 });
    const one = await (await simulator.adminFetch(`/admin/knobs/${encodeURIComponent('openai/gpt-4o-mini')}`)).json();
    expect(one).toMatchObject({ model: 'openai/gpt-4o-mini', knobs: { completionTokens: 5 }, effective: { completionTokens: 5, ttftMs: 0 } });

    await simulator.setKnobs('*', { completionTokens: 9 });
    expect((await ask('any/model')).usage.completion_tokens).toBe(9);
    expect((await ask('openai/gpt-4o-mini')).usage.completion_tokens).toBe(5);

    const deleted = await simulator.adminFetch(`/admin/knobs/${encodeURIComponent('openai/gpt-4o-mini')}`, { method: 'DELETE' });
    expect(deleted.status).toBe(200);
    expect((await ask('openai/gpt-4o-mini')).usage.completion_tokens).toBe(9);
    const missing = await simulator.adminFetch(`/admin/knobs/${encodeURIComponent('never/set')}`, { method: 'DELETE' });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: { code: 404 } });
  });

  it('rejects invalid knobs with a 400 naming the field', async () => {
    for (const body of [{ failureRate: 1.5 }, { failureMode: 'explode' }, { ttftMs: -1 }, { unknownKnob: 1 }, [1]]) {
      const response = await simulator.adminFetch('/admin/knobs/m', { method: 'PUT', body: JSON.stringify(body) });
      expect(response.status).toBe(400);
      const error = await response.json();
      expect(error.error).toMatchObject({ code: 400, metadata: { error_type: 'invalid_request' } });
    }
    const response = await simulator.adminFetch('/admin/knobs/m', { method: 'PUT', body: JSON.stringify({ failureRate: 2 }) });
    expect((await response.json()).error.metadata.issues[0].path).toBe('failureRate');
  });

  it('resets knobs to SIMULATOR_KNOBS and zeroes the counters', async () => {
    await simulator.setKnobs('env/model', { completionTokens: 7 });
    expect((await ask('env/model')).usage.completion_tokens).toBe(7);
    expect((await simulator.usage()).totals.requests).toBeGreaterThan(0);
    await simulator.reset();
    expect((await simulator.usage()).totals).toMatchObject({ requests: 0, promptTokens: 0, completionTokens: 0 });
    expect((await ask('env/model')).usage.completion_tokens).toBe(2);
    const knobs = await (await simulator.adminFetch('/admin/knobs')).json();
    expect(knobs.knobs).toEqual({ 'env/model': { completionTokens: 2 } });
  });

  it('counts requests by route, model and outcome on /metrics', async () => {
    await ask('metrics/model');
    await fetchJson(`${simulator.upstream}/openai/v1/chat/completions`, { method: 'POST', body: '{}' });
    const text = await (await simulator.adminFetch('/metrics')).text();
    expect(text).toMatch(/switchyard_simulator_requests_total\{[^}]*route="openai\.chat"[^}]*model="metrics\/model"[^}]*outcome="completed"[^}]*\} 1/);
    expect(text).toMatch(/switchyard_simulator_requests_total\{[^}]*outcome="unauthorized"[^}]*\} \d+/);
    expect(text).toMatch(/switchyard_simulator_tokens_total\{[^}]*model="metrics\/model"[^}]*kind="completion"[^}]*\} 2/);
  });

  it('fails fast on invalid SIMULATOR_KNOBS', () => {
    const error = (() => {
      try {
        parseConfig(simulatorConfigSchema, { SIMULATOR_KNOBS: '{"m":{"failureRate":3}}', ADMIN_TOKEN: TEST_ADMIN_TOKEN });
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues[0]).toMatchObject({ key: 'SIMULATOR_KNOBS' });
    expect((error as ConfigError).issues[0].message).toContain('m.failureRate');
  });
});

describe('graceful shutdown', () => {
  it('ends in-flight streams in full before closing', async () => {
    const simulator = await startSimulator({ SIMULATOR_KNOBS: JSON.stringify({ '*': { tokensPerSecond: 10 } }) });
    const response = await fetchJson(`${simulator.upstream}/openai/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: 'Bearer k' },
      body: JSON.stringify({ model: 'm', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'hi' }] }),
    });
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    while (!text.includes('"content":"')) text += decoder.decode((await reader.read()).value);
    // 24 tokens at 10 tokens/s would take 2.4 s: shutdown sends the rest at once.
    const started = performance.now();
    const closing = simulator.close();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value);
    }
    await closing;
    expect(performance.now() - started).toBeLessThan(1_500);
    expect(text).toContain('data: [DONE]');
    expect(text).toContain('"completion_tokens":24');
  });
});
