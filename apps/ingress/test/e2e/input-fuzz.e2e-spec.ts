import { jest } from '@jest/globals';
import fc from 'fast-check';
import { TEST_ADMIN_TOKEN } from '@switchyard/nest-kit/testing';
import { Stack } from './stack.js';

jest.setTimeout(180_000);

/**
 * "Bad input gets a clear error and never a 500 or a crash", tried with generated bodies on every generation route:
 * arbitrary JSON, and valid requests with up to three fields replaced by arbitrary values (wrong types, huge or
 * negative numbers, nested junk, unknown fields) or with arbitrary messages. Every answer must be below 500; an
 * error must be JSON in its API family's shape (the OpenRouter envelope with `code` equal to the status on the
 * OpenAI-style routes); and the gateway must still serve afterwards. 60 cases per route by default
 * (`FUZZ_RUNS=<n>` for more; 600 per route passed twice when this was written); a failure prints its seed and the
 * shrunk body.
 */
const anyJson = fc.jsonValue({ maxDepth: 3 });
const tricky = fc.oneof(
  { weight: 3, arbitrary: anyJson },
  { weight: 2, arbitrary: fc.constantFrom<unknown>(-1, 0, 0.5, 2 ** 53 + 1, 1e308, -1e308, '', ' ', 'null', 'auto', 'none', true, false, null, [], {}, [null], [''], { type: 'x' }) },
);

const CHAT_FIELDS = [
  'model', 'messages', 'stream', 'max_tokens', 'max_completion_tokens', 'temperature', 'top_p', 'top_k', 'frequency_penalty', 'presence_penalty',
  'repetition_penalty', 'min_p', 'top_a', 'seed', 'stop', 'n', 'logit_bias', 'logprobs', 'top_logprobs', 'response_format', 'tools', 'tool_choice',
  'parallel_tool_calls', 'user', 'provider', 'models', 'route', 'transforms', 'reasoning', 'usage', 'stream_options', 'plugins', 'prediction',
  'session_id', 'metadata', 'modalities', 'verbosity', 'x_unknown_field',
] as const;

const part = fc.oneof(
  fc.record(
    { type: fc.oneof(fc.constantFrom('text', 'image_url', 'input_audio', 'file', 'video_url'), fc.string({ maxLength: 8 })), text: tricky, image_url: tricky, input_audio: tricky, file: tricky },
    { requiredKeys: ['type'] },
  ),
  anyJson,
);
const message = fc.oneof(
  fc.record(
    {
      role: fc.oneof(fc.constantFrom('user', 'assistant', 'system', 'developer', 'tool'), fc.string({ maxLength: 8 })),
      content: fc.oneof(fc.string({ maxLength: 40 }), fc.constant(null), fc.array(part, { maxLength: 3 }), tricky),
      name: tricky,
      tool_calls: tricky,
      tool_call_id: tricky,
    },
    { requiredKeys: ['role'] },
  ),
  anyJson,
);

/** A valid body with up to three fields replaced, or with arbitrary messages, or arbitrary JSON altogether. */
function bodies(base: Record<string, unknown>, fields: readonly string[], messagesField: string): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 1, arbitrary: anyJson },
    { weight: 3, arbitrary: fc.dictionary(fc.constantFrom(...fields), tricky, { maxKeys: 3 }).map((overrides) => ({ ...base, ...overrides })) },
    { weight: 2, arbitrary: fc.array(message, { maxLength: 3 }).map((messages) => ({ ...base, [messagesField]: messages })) },
  );
}

const MODEL = 'openai/gpt-4o-mini';
const ROUTES: Array<{ path: string; openRouterEnvelope: boolean; arbitrary: fc.Arbitrary<unknown> }> = [
  { path: '/chat/completions', openRouterEnvelope: true, arbitrary: bodies({ model: MODEL, messages: [{ role: 'user', content: 'hi' }], max_tokens: 4 }, CHAT_FIELDS, 'messages') },
  { path: '/completions', openRouterEnvelope: true, arbitrary: bodies({ model: MODEL, prompt: 'hi', max_tokens: 4 }, ['model', 'prompt', 'stream', 'max_tokens', 'temperature', 'stop', 'n', 'echo', 'suffix', 'provider', 'x_unknown_field'], 'prompt') },
  { path: '/embeddings', openRouterEnvelope: true, arbitrary: bodies({ model: 'openai/text-embedding-3-small', input: 'hi' }, ['model', 'input', 'encoding_format', 'dimensions', 'user', 'provider', 'x_unknown_field'], 'input') },
  { path: '/rerank', openRouterEnvelope: true, arbitrary: bodies({ model: 'cohere/rerank-v3.5', query: 'hi', documents: ['a', 'b'] }, ['model', 'query', 'documents', 'top_n', 'return_documents', 'user', 'provider', 'models', 'x_unknown_field'], 'documents') },
  {
    path: '/messages',
    openRouterEnvelope: false,
    arbitrary: bodies({ model: MODEL, max_tokens: 4, messages: [{ role: 'user', content: 'hi' }] }, ['model', 'max_tokens', 'messages', 'system', 'stream', 'temperature', 'top_p', 'top_k', 'stop_sequences', 'tools', 'tool_choice', 'thinking', 'metadata', 'x_unknown_field'], 'messages'),
  },
  {
    path: '/responses',
    openRouterEnvelope: false,
    arbitrary: bodies({ model: MODEL, input: 'hi', max_output_tokens: 16 }, ['model', 'input', 'instructions', 'stream', 'max_output_tokens', 'temperature', 'top_p', 'tools', 'tool_choice', 'reasoning', 'text', 'store', 'previous_response_id', 'x_unknown_field'], 'input'),
  },
];

describe('generated bad input on every generation route', () => {
  const stack = new Stack();

  beforeAll(async () => {
    await stack.start();
  }, 120_000);

  afterAll(async () => {
    await stack.stop();
  });

  async function post(path: string, body: unknown): Promise<{ status: number; contentType: string; text: string }> {
    const response = await fetch(`${stack.baseUrl}${path}`, { method: 'POST', headers: { authorization: `Bearer ${stack.demoKey}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: response.status, contentType: response.headers.get('content-type') ?? '', text: await response.text() };
  }

  for (const route of ROUTES) {
    it(`${route.path}: never a 5xx, every error in its family's JSON shape`, async () => {
      const statuses = new Map<number, number>();
      await fc.assert(
        fc.asyncProperty(route.arbitrary, async (body) => {
          const answer = await post(route.path, body);
          statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
          expect(answer.status).toBeLessThan(500);
          if (answer.status === 200) {
            expect(answer.text.length).toBeGreaterThan(0);
            return;
          }
          expect(answer.contentType).toContain('application/json');
          const parsed = JSON.parse(answer.text) as { error?: { code?: unknown; message?: unknown } };
          expect(typeof parsed.error?.message).toBe('string');
          if (route.openRouterEnvelope) expect(parsed.error?.code).toBe(answer.status);
        }),
        { numRuns: Number(process.env.FUZZ_RUNS ?? 60) },
      );
      // The generators reach both sides: refused requests and served ones.
      expect([...statuses.keys()].some((status) => status >= 400)).toBe(true);
      console.log(`[fuzz] ${route.path}: ${JSON.stringify(Object.fromEntries(statuses))}`);
    });
  }

  describe('the account API and the admin APIs', () => {
    let management: string;
    let accountId: string;
    let keyHash: string;

    beforeAll(async () => {
      const accounts = await stack.admin('billing', 'GET', '/admin/accounts');
      accountId = (accounts.body.data as Array<{ id: string; name: string }>).find((account) => account.name === 'Demo')!.id;
      management = (await stack.admin('billing', 'POST', `/admin/accounts/${accountId}/keys`, { name: 'fuzz-ops', kind: 'management' })).body.key;
      const created = await fetch(`${stack.baseUrl}/keys`, { method: 'POST', headers: { authorization: `Bearer ${management}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'fuzz-target' }) });
      keyHash = ((await created.json()) as { data: { hash: string } }).data.hash;
    });

    /** Any answer of these routes: below 500, and an error is the OpenRouter envelope with `code` = status. */
    async function expectClear(response: Response): Promise<number> {
      expect(response.status).toBeLessThan(500);
      if (response.status >= 400) {
        const body = (await response.json()) as { error?: { code?: unknown; message?: unknown } };
        expect(typeof body.error?.message).toBe('string');
        expect(body.error?.code).toBe(response.status);
      } else {
        await response.arrayBuffer();
      }
      return response.status;
    }

    const send = (url: string, method: string, key: string | undefined, body: unknown) =>
      fetch(url, { method, headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), 'content-type': 'application/json' }, body: JSON.stringify(body) });

    it('/keys, /keys/{hash}, /auth/keys/code, /auth/keys, /generation/feedback, /alerts, /byok: generated bodies get a clear 4xx or succeed, never a 5xx', async () => {
      const keyBody = bodies({ name: 'fuzzed' }, ['name', 'limit', 'limit_reset', 'include_byok_in_limit', 'expires_at', 'creator_user_id', 'max_spend_per_hour', 'disabled', 'allowed_models'], 'name');
      const routes: Array<{ method: string; path: () => string; key: () => string | undefined; arbitrary: fc.Arbitrary<unknown> }> = [
        { method: 'POST', path: () => '/keys', key: () => management, arbitrary: keyBody },
        { method: 'PATCH', path: () => `/keys/${keyHash}`, key: () => management, arbitrary: keyBody },
        { method: 'POST', path: () => '/auth/keys/code', key: () => stack.demoKey, arbitrary: bodies({ callback_url: 'http://localhost:3000/cb' }, ['callback_url', 'code_challenge', 'code_challenge_method', 'limit', 'usage_limit_type', 'expires_at', 'key_label'], 'callback_url') },
        { method: 'POST', path: () => '/auth/keys', key: () => undefined, arbitrary: bodies({ code: 'sy-auth-nothing' }, ['code', 'code_verifier', 'code_challenge_method'], 'code') },
        { method: 'POST', path: () => '/generation/feedback', key: () => stack.demoKey, arbitrary: bodies({ generation_id: 'gen-nothing', category: 'other' }, ['generation_id', 'category', 'comment'], 'comment') },
        { method: 'PATCH', path: () => '/alerts', key: () => management, arbitrary: bodies({ balance_below: '1' }, ['balance_below', 'daily_spend_above'], 'balance_below') },
        { method: 'POST', path: () => '/byok', key: () => management, arbitrary: bodies({ provider: 'no-such-provider', api_key: 'sk-fuzz' }, ['provider', 'api_key'], 'api_key') },
      ];
      for (const route of routes) {
        await fc.assert(
          fc.asyncProperty(route.arbitrary, async (body) => {
            await expectClear(await send(`${stack.baseUrl}${route.path()}`, route.method, route.key(), body));
          }),
          { numRuns: Math.ceil(Number(process.env.FUZZ_RUNS ?? 60) / 2) },
        );
      }
    });

    it('/guardrails and /presets (made from chat, messages and responses bodies, then named as a model): generated bodies get a clear 4xx or succeed, never a 5xx', async () => {
      const runs = { numRuns: Math.ceil(Number(process.env.FUZZ_RUNS ?? 60) / 2) };
      await fc.assert(
        fc.asyncProperty(bodies({ detectors: ['email'] }, ['detectors', 'keywords'], 'keywords'), async (body) => {
          await expectClear(await send(`${stack.baseUrl}/guardrails`, 'PATCH', management, body));
          // Leave the demo account unguarded for the rest of the file.
          expect((await send(`${stack.baseUrl}/guardrails`, 'PATCH', management, { detectors: [], keywords: [] })).status).toBe(200);
        }),
        runs,
      );
      const slug = fc.oneof(fc.constantFrom('fuzz-preset', 'Bad Slug', '-x', 'a'.repeat(70)), fc.string({ minLength: 1, maxLength: 12 }));
      for (const [api, base, fields] of [
        ['chat/completions', { model: MODEL }, CHAT_FIELDS],
        ['messages', { model: MODEL, system: 'brief' }, ['model', 'max_tokens', 'system', 'temperature', 'stop_sequences', 'tools', 'name', 'description']],
        ['responses', { model: MODEL, instructions: 'brief' }, ['model', 'input', 'instructions', 'max_output_tokens', 'text', 'store', 'name', 'description']],
      ] as const) {
        await fc.assert(
          fc.asyncProperty(slug, bodies(base, fields, 'messages'), async (name, body) => {
            const status = await expectClear(await send(`${stack.baseUrl}/presets/${encodeURIComponent(name)}/${api}`, 'POST', management, body));
            if (status !== 201) return;
            // A preset that was made serves as a model or says clearly why not.
            await expectClear(await send(`${stack.baseUrl}/chat/completions`, 'POST', stack.demoKey, { model: `@preset/${name}`, messages: [{ role: 'user', content: 'hi' }], max_tokens: 4 }));
          }),
          runs,
        );
      }
    });

    it('query strings of /models, /generation, /generation/content, /keys and /activity, and the billing admin API: never a 5xx', async () => {
      const value = fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom('-1', '0', '1e309', 'NaN', 'true', '[]', '%00', 'gen-x', '9'.repeat(40)));
      const query = fc.dictionary(fc.constantFrom('id', 'limit', 'offset', 'order', 'supported_parameters', 'max_price', 'q', 'category', 'output_modalities', 'date', 'x'), value, { maxKeys: 3 });
      await fc.assert(
        fc.asyncProperty(fc.constantFrom('/models', '/models/count', '/generation', '/generation/content', '/keys', '/activity'), query, async (path, parameters) => {
          const url = `${stack.baseUrl}${path}?${new URLSearchParams(parameters).toString()}`;
          await expectClear(await fetch(url, { headers: { authorization: `Bearer ${path === '/keys' || path === '/activity' ? management : stack.demoKey}` } }));
        }),
        { numRuns: Number(process.env.FUZZ_RUNS ?? 60) },
      );
      const accountBody = bodies({ name: 'fuzzed' }, ['name', 'overdraft', 'privacy', 'allowedProviders', 'ignoredProviders', 'disabled', 'alerts'], 'name');
      await fc.assert(
        fc.asyncProperty(accountBody, async (body) => {
          const response = await send(`${stack.adminUrl('billing')}/admin/accounts/${accountId}`, 'PATCH', TEST_ADMIN_TOKEN, body);
          await expectClear(response);
          // Leave the demo account usable for the rest of the file.
          await stack.admin('billing', 'PATCH', `/admin/accounts/${accountId}`, { disabled: false, allowedProviders: null, ignoredProviders: [] });
        }),
        { numRuns: Math.ceil(Number(process.env.FUZZ_RUNS ?? 60) / 2) },
      );
    });
  });

  it('still serves after all of it', async () => {
    const answer = await post('/chat/completions', { model: MODEL, messages: [{ role: 'user', content: 'still there?' }], max_tokens: 4 });
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.text)).toMatchObject({ object: 'chat.completion', choices: [{ message: { role: 'assistant' } }] });
  });
});
