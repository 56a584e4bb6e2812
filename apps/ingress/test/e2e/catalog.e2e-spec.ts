import { jest } from '@jest/globals';
import OpenAI from 'openai';
import { Decimal, formatMoney } from '@switchyard/money';
import { waitFor } from '@switchyard/nest-kit/testing';
import { openRouterModelSchema, openRouterPublicEndpointSchema } from '../../src/models/openrouter-model.schema.js';
import { Stack } from './stack.js';

/**
 * Issue 4, end to end on the real processes: the public catalog listing in OpenRouter's shapes, admin changes in
 * the catalog reaching ingress and routing within a second while traffic flows, a price change that never touches
 * a request already admitted, and an OpenRouter-format import (dry run, then apply) that ingress lists.
 */
jest.setTimeout(90_000);

interface ListedModel {
  id: string;
  name: string;
  description: string;
  pricing: { prompt: string; completion: string };
  supported_parameters: string[];
  alias_target?: { slug: string; name: string };
}
interface ModelList {
  data: ListedModel[];
  total_count: number;
  links: { next: string | null };
}
interface PublicEndpoint {
  tag: string;
  model_id: string;
  provider_name: string;
  pricing: { prompt: string; completion: string; input_cache_read?: string };
}
interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  prompt_tokens_details: { cached_tokens: number; cache_write_tokens: number };
  cost: number;
}

const LLAMA = 'meta-llama/llama-3.3-70b-instruct';
const LLAMA_MAIN = `${LLAMA}@simulator`;
const LLAMA_ALT = `${LLAMA}@simulator/alt`;

describe('the model catalog end to end: public listing, live admin changes, prices, import', () => {
  const stack = new Stack();
  let client: OpenAI;
  /** Every usage.cost this file received: the account's debit must converge to exactly this. */
  let spent = new Decimal(0);

  beforeAll(async () => {
    await stack.start();
    client = new OpenAI({ baseURL: stack.baseUrl, apiKey: stack.demoKey, maxRetries: 0 });
  }, 150_000);

  afterAll(async () => {
    await stack.stop();
  });

  async function get<T>(route: string, headers: Record<string, string> = {}): Promise<{ status: number; body: T }> {
    const response = await fetch(`${stack.baseUrl}${route}`, { headers });
    return { status: response.status, body: (await response.json()) as T };
  }

  const listed = (route: string) => get<ModelList>(route);
  const endpointsOf = async (model: string) => (await get<{ data: { endpoints: PublicEndpoint[] } }>(`/models/${model}/endpoints`)).body.data?.endpoints ?? [];
  const catalogAdmin = (method: string, route: string, body?: unknown) => stack.admin('catalog', method, route, body);

  async function explain(request: Record<string, unknown>): Promise<{ ok: boolean; catalogVersion: number; attempts: Array<{ endpointId: string }> }> {
    const { status, body } = await stack.admin('routing', 'POST', '/admin/explain', { messages: [{ role: 'user', content: 'x' }], ...request });
    expect(status).toBe(200);
    return body;
  }

  function chat(model: string, content: string, extra: Record<string, unknown> = {}): Promise<OpenAI.ChatCompletion> {
    return client.chat.completions.create({ model, messages: [{ role: 'user', content }], ...extra } as OpenAI.ChatCompletionCreateParamsNonStreaming);
  }

  function expectPriced(usage: Usage, pricing: { prompt: string; completion: string }): void {
    expect(usage.prompt_tokens_details.cached_tokens).toBe(0);
    const expected = new Decimal(usage.prompt_tokens).times(pricing.prompt).plus(new Decimal(usage.completion_tokens).times(pricing.completion));
    expect(formatMoney(usage.cost)).toBe(formatMoney(expected));
  }

  function charged(completion: { usage?: unknown }): Usage {
    const usage = completion.usage as Usage;
    spent = spent.plus(String(usage.cost));
    return usage;
  }

  describe('public listing in OpenRouter shapes', () => {
    it('GET /models: every entry is an OpenRouter model object, ids unique, the real market plus variants and aliases; /models/count agrees', async () => {
      const { status, body } = await listed('/models');
      expect(status).toBe(200);
      for (const model of body.data) {
        const parsed = openRouterModelSchema.safeParse(model);
        if (!parsed.success) throw new Error(`${model.id} is not an OpenRouter model object: ${parsed.error.message}`);
      }
      const ids = body.data.map((model) => model.id);
      expect(new Set(ids).size).toBe(ids.length);
      expect(body.total_count).toBe(ids.length);
      expect(body.links.next).toBeNull();
      const standard = ids.filter((id) => !id.startsWith('~') && !id.includes(':'));
      expect(standard.length).toBeGreaterThanOrEqual(60);
      expect(new Set(standard.map((id) => id.split('/')[0])).size).toBeGreaterThanOrEqual(10);
      expect(ids).toEqual(expect.arrayContaining(['openai/gpt-4o-mini', 'anthropic/claude-sonnet-4.5', 'google/gemini-2.5-flash', `${LLAMA}:free`, '~anthropic/claude-sonnet-latest']));

      const count = await get<{ data: { count: number } }>('/models/count');
      expect(count.status).toBe(200);
      expect(count.body.data.count).toBe(body.total_count);
      const filteredCount = await get<{ data: { count: number } }>('/models/count?supported_parameters=tools');
      expect(filteredCount.body.data.count).toBe((await listed('/models?supported_parameters=tools')).body.total_count);
    });

    it('filters by supported_parameters, q and max_price, and paginates with links.next covering the whole list once', async () => {
      const all = (await listed('/models')).body;

      const toolsAndReasoning = (await listed('/models?supported_parameters=tools,reasoning')).body;
      expect(toolsAndReasoning.data.length).toBeGreaterThan(0);
      expect(toolsAndReasoning.data.length).toBeLessThan(all.data.length);
      for (const model of toolsAndReasoning.data) expect(model.supported_parameters).toEqual(expect.arrayContaining(['tools', 'reasoning']));
      const expectedTools = all.data.filter((model) => ['tools', 'reasoning'].every((name) => model.supported_parameters.includes(name))).map((model) => model.id);
      expect(toolsAndReasoning.data.map((model) => model.id)).toEqual(expectedTools);

      const claude = (await listed('/models?q=Claude%20sonnet')).body;
      expect(claude.data.map((model) => model.id)).toEqual(expect.arrayContaining(['anthropic/claude-sonnet-4.5', '~anthropic/claude-sonnet-latest']));
      for (const model of claude.data) {
        const text = `${model.id}\n${model.name}\n${model.description}`.toLowerCase();
        expect(text).toContain('claude');
        expect(text).toContain('sonnet');
      }

      // max_price is USD per million prompt tokens, compared exactly with the listed per-token price.
      const cheap = (await listed('/models?max_price=0.15')).body;
      expect(cheap.data.map((model) => model.id)).toEqual(expect.arrayContaining(['openai/gpt-4o-mini', `${LLAMA}:free`]));
      for (const model of cheap.data) expect(new Decimal(model.pricing.prompt).lte('0.00000015')).toBe(true);
      expect(cheap.data.map((model) => model.id)).not.toContain('anthropic/claude-sonnet-4.5');
      // The auto router is listed at -1 (it costs what its pick costs): no price filter matches it.
      expect(cheap.data.map((model) => model.id)).not.toContain('openrouter/auto');
      expect(cheap.total_count).toBe(all.data.filter((model) => model.pricing.prompt !== '-1' && new Decimal(model.pricing.prompt).lte('0.00000015')).length);

      const invalid = await get<{ error: { code: number; message: string } }>('/models?max_price=cheap');
      expect(invalid.status).toBe(400);
      expect(invalid.body.error.message).toContain('max_price');

      const pages: string[] = [];
      let next: string | null = '/models?limit=25';
      let requests = 0;
      while (next) {
        const page: ModelList = (await listed(next.replace(/^\/api\/v1/, ''))).body;
        expect(page.total_count).toBe(all.total_count);
        expect(page.data.length).toBeLessThanOrEqual(25);
        pages.push(...page.data.map((model) => model.id));
        next = page.links.next;
        requests++;
      }
      expect(requests).toBe(Math.ceil(all.total_count / 25));
      expect(pages).toEqual(all.data.map((model) => model.id));
    });

    it('GET /models/user lists what the demo key may use (401 without a key); /models/{author}/{slug}/endpoints, /model with :free and a ~…-latest alias, /endpoints/zdr, /providers', async () => {
      expect((await get('/models/user')).status).toBe(401);
      const user = await get<ModelList>('/models/user', { authorization: `Bearer ${stack.demoKey}` });
      expect(user.status).toBe(200);
      for (const model of user.body.data) expect(openRouterModelSchema.safeParse(model).success).toBe(true);
      const everyone = new Set((await listed('/models')).body.data.map((model) => model.id));
      expect(user.body.data.length).toBeGreaterThan(0);
      for (const model of user.body.data) expect(everyone.has(model.id)).toBe(true);
      expect(user.body.data.map((model) => model.id)).toContain('openai/gpt-4o-mini');
      // Accounts do not allow training by default: DeepSeek's first-party thinking endpoint (the only one of that
      // variant) trains on prompts, so the variant is listed for everyone but not for this account.
      expect(everyone.has('deepseek/deepseek-v3.2-exp:thinking')).toBe(true);
      expect(user.body.data.map((model) => model.id)).not.toContain('deepseek/deepseek-v3.2-exp:thinking');

      // The account's provider allowlist narrows its listing as soon as billing announces the change.
      const auth = { authorization: `Bearer ${stack.demoKey}` };
      const accounts = await stack.admin('billing', 'GET', '/admin/accounts');
      const demo = (accounts.body.data as Array<{ id: string; name: string }>).find((account) => account.name === 'Demo')!;
      expect((await stack.admin('billing', 'PATCH', `/admin/accounts/${demo.id}`, { allowedProviders: ['simulator-gemini'] })).status).toBe(200);
      try {
        const narrowed = await waitFor(async () => {
          const listing = await get<ModelList>('/models/user', auth);
          return listing.body.data.length < user.body.data.length ? listing.body : undefined;
        }, { timeoutMs: 5_000, intervalMs: 50, message: '/models/user narrowed to the allowed provider' });
        // The auto router stays: it then picks among the allowed provider's models.
        expect(narrowed.data.map((model) => model.id).sort()).toEqual(['google/gemini-2.5-flash', 'openrouter/auto', '~google/gemini-flash-latest']);
        expect(narrowed.data.find((model) => model.id === 'google/gemini-2.5-flash')!.pricing).toMatchObject({ prompt: '0.0000003', completion: '0.0000025' });
      } finally {
        expect((await stack.admin('billing', 'PATCH', `/admin/accounts/${demo.id}`, { allowedProviders: null })).status).toBe(200);
      }
      await waitFor(async () => (await get<ModelList>('/models/user', auth)).body.data.length === user.body.data.length, { timeoutMs: 5_000, message: '/models/user restored' });

      const endpoints = await get<{ data: { id: string; endpoints: unknown[] } }>('/models/anthropic/claude-sonnet-4.5/endpoints');
      expect(endpoints.status).toBe(200);
      expect(endpoints.body.data.id).toBe('anthropic/claude-sonnet-4.5');
      for (const endpoint of endpoints.body.data.endpoints) {
        const parsed = openRouterPublicEndpointSchema.safeParse(endpoint);
        if (!parsed.success) throw new Error(`endpoint ${JSON.stringify(endpoint)} is not OpenRouter-shaped: ${parsed.error.message}`);
      }
      const tags = (endpoints.body.data.endpoints as PublicEndpoint[]).map((endpoint) => endpoint.tag);
      expect(tags).toEqual(expect.arrayContaining(['anthropic', 'simulator', 'simulator-anthropic']));
      const native = (endpoints.body.data.endpoints as PublicEndpoint[]).find((endpoint) => endpoint.tag === 'simulator-anthropic')!;
      expect(native.pricing).toMatchObject({ prompt: '0.000003', completion: '0.000015', input_cache_read: '0.0000003' });
      expect((await get('/models/nobody/no-such-model/endpoints')).status).toBe(404);

      const free = await get<{ data: ListedModel }>(`/model/${LLAMA}:free`);
      expect(free.status).toBe(200);
      expect(openRouterModelSchema.safeParse(free.body.data).success).toBe(true);
      expect(free.body.data.id).toBe(`${LLAMA}:free`);
      expect(free.body.data.pricing).toMatchObject({ prompt: '0', completion: '0' });
      const freeCompletion = await chat(`${LLAMA}:free`, 'Free as in beer?');
      expect(freeCompletion.model).toBe(`${LLAMA}:free`);
      expect(charged(freeCompletion).cost).toBe(0);

      const alias = await get<{ data: ListedModel }>('/model/~anthropic/claude-sonnet-latest');
      expect(alias.status).toBe(200);
      expect(openRouterModelSchema.safeParse(alias.body.data).success).toBe(true);
      expect(alias.body.data.id).toBe('~anthropic/claude-sonnet-latest');
      expect(alias.body.data.alias_target?.slug).toBe('anthropic/claude-sonnet-4.5');
      const aliased = await chat('~anthropic/claude-sonnet-latest', 'Which Sonnet?', { provider: { only: ['simulator-anthropic'] } });
      expect(aliased.model).toBe('anthropic/claude-sonnet-4.5');
      expectPriced(charged(aliased), native.pricing);
      expect((await get('/model/nobody/no-such-model')).status).toBe(404);

      // What zero data retention leaves: only the seed's ZDR providers (by default, with a standard key), every
      // endpoint OpenRouter-shaped; a key is required.
      expect((await get('/endpoints/zdr')).status).toBe(401);
      const zdr = await get<{ data: PublicEndpoint[] }>('/endpoints/zdr', auth);
      expect(zdr.status).toBe(200);
      const zdrProviders = new Set(zdr.body.data.map((endpoint) => endpoint.provider_name));
      expect([...zdrProviders].sort()).toEqual(expect.arrayContaining(['DeepInfra', 'Fireworks']));
      for (const name of ['OpenAI', 'Anthropic', 'DeepSeek']) expect(zdrProviders.has(name)).toBe(false);
      for (const endpoint of zdr.body.data) expect(openRouterPublicEndpointSchema.safeParse(endpoint).success).toBe(true);
      expect(zdr.body.data.some((endpoint) => endpoint.model_id.startsWith('openai/gpt-oss-120b') && endpoint.provider_name === 'DeepInfra')).toBe(true);

      const providers = await get<{ data: Array<Record<string, unknown>> }>('/providers');
      expect(providers.status).toBe(200);
      const slugs = providers.body.data.map((provider) => provider.slug as string);
      expect(slugs.length).toBeGreaterThanOrEqual(15);
      expect(slugs).toEqual(expect.arrayContaining(['openai', 'anthropic', 'groq', 'simulator', 'simulator-anthropic', 'simulator-gemini', 'simulator-azure']));
      for (const provider of providers.body.data) {
        expect(Object.keys(provider).sort()).toEqual(['datacenters', 'headquarters', 'name', 'privacy_policy_url', 'slug', 'status_page_url', 'terms_of_service_url']);
        expect(Array.isArray(provider.datacenters)).toBe(true);
      }
    });
  });

  describe('admin changes reach ingress and routing within a second', () => {
    it('disabling an endpoint while requests flow: none fail, none is served by it from 1 s after the change; routing explains without it', async () => {
      // The two simulator endpoints of Llama answer different deterministic text (the seed is the upstream model id).
      const question = 'Which endpoint answers?';
      const only = { provider: { only: ['simulator'] }, max_tokens: 6 };
      const textOf = (completion: OpenAI.ChatCompletion) => {
        charged(completion);
        return completion.choices[0]!.message.content;
      };
      const altText = textOf(await chat(LLAMA, question, { ...only, provider: { only: ['simulator/alt'] } }));
      const mainText = textOf(await chat(LLAMA, question, { ...only, provider: { only: ['simulator'], ignore: ['simulator/alt'] } }));
      expect(altText).not.toBe(mainText);
      expect((await explain({ model: LLAMA, ...only })).attempts.map((attempt) => attempt.endpointId)).toEqual([LLAMA_MAIN, LLAMA_ALT]);

      interface Served {
        startedAt: number;
        endpoint: 'main' | 'alt' | 'unknown';
        error?: string;
      }
      const served: Served[] = [];
      let running = true;
      const worker = async () => {
        while (running) {
          const startedAt = Date.now();
          try {
            const completion = await chat(LLAMA, question, only);
            charged(completion);
            const text = completion.choices[0]!.message.content;
            served.push({ startedAt, endpoint: text === mainText ? 'main' : text === altText ? 'alt' : 'unknown' });
          } catch (error) {
            served.push({ startedAt, endpoint: 'unknown', error: (error as Error).message });
          }
        }
      };
      const workers = [worker(), worker(), worker(), worker()];
      let changedAt = 0;
      let version = 0;
      try {
        await waitFor(() => served.length >= 20, { timeoutMs: 20_000, message: 'traffic flowing' });
        const disabled = await catalogAdmin('POST', `/admin/endpoints/${encodeURIComponent(LLAMA_MAIN)}/disable`);
        // The admin API answers once the change is committed, the catalog's own snapshot rebuilt and the change announced.
        changedAt = Date.now();
        expect(disabled.status).toBe(200);
        expect(disabled.body.changed).toBe(true);
        version = disabled.body.version as number;

        // Ingress's public listing and routing's explain drop it within a second of the change.
        const withinSecond = () => Math.max(50, changedAt + 1_000 - Date.now());
        await waitFor(async () => !(await endpointsOf(LLAMA)).some((endpoint) => endpoint.tag === 'simulator'), { timeoutMs: withinSecond(), intervalMs: 20, message: 'ingress stops listing the disabled endpoint' });
        await waitFor(async () => {
          const plan = await explain({ model: LLAMA, ...only });
          return plan.catalogVersion >= version && plan.attempts.map((attempt) => attempt.endpointId).join() === LLAMA_ALT;
        }, { timeoutMs: withinSecond(), intervalMs: 20, message: 'routing explains without the disabled endpoint' });
        await waitFor(() => served.filter((request) => request.startedAt >= changedAt + 1_000).length >= 20, { timeoutMs: 20_000, message: 'traffic after the change' });
      } finally {
        running = false;
        await Promise.all(workers);
      }
      expect(served.filter((request) => request.endpoint === 'unknown')).toEqual([]);
      expect(served.filter((request) => request.startedAt < changedAt && request.endpoint === 'main').length).toBeGreaterThan(0);
      const afterSecond = served.filter((request) => request.startedAt >= changedAt + 1_000);
      expect(afterSecond.length).toBeGreaterThanOrEqual(20);
      expect(afterSecond.filter((request) => request.endpoint !== 'alt')).toEqual([]);

      // The health table lists the endpoint with its traffic; enabling brings it back into plans within a second.
      const table = await stack.admin('routing', 'GET', '/admin/health-table');
      const rows = table.body.endpoints as Array<{ id: string; inCatalog: boolean; lastAttemptAt: string | null }>;
      expect(rows.find((row) => row.id === LLAMA_ALT)?.lastAttemptAt).not.toBeNull();
      const enabled = await catalogAdmin('POST', `/admin/endpoints/${encodeURIComponent(LLAMA_MAIN)}/enable`);
      expect(enabled.status).toBe(200);
      const enabledAt = Date.now();
      const withinSecondOfEnable = () => Math.max(50, enabledAt + 1_000 - Date.now());
      await waitFor(async () => (await explain({ model: LLAMA, ...only })).attempts.some((attempt) => attempt.endpointId === LLAMA_MAIN), { timeoutMs: withinSecondOfEnable(), intervalMs: 20, message: 'routing plans the enabled endpoint again' });
      // Load balancing favours the cheaper endpoint: within a few draws ingress serves from it again.
      await waitFor(async () => textOf(await chat(LLAMA, question, only)) === mainText, { timeoutMs: withinSecondOfEnable(), intervalMs: 20, message: 'ingress routes to the enabled endpoint again' });
    });

    it('a model and endpoint created on the simulator are listed by ingress, routable and explained by routing within a second', async () => {
      const id = `e2e-lab/fresh-${stack.suffix}`;
      const model = await catalogAdmin('POST', '/admin/models', {
        id,
        canonicalSlug: `${id}-20251201`,
        name: 'E2E Lab: Fresh',
        description: 'Created by the catalog end-to-end test',
        created: 1764547200,
        contextLength: 32768,
        tokenizer: 'Other',
      });
      expect(model.status).toBe(201);
      const pricing = { prompt: '0.00000033', completion: '0.00000111' };
      const endpoint = await catalogAdmin('POST', '/admin/endpoints', {
        modelId: id,
        providerSlug: 'simulator',
        upstreamModelId: `e2e-lab/fresh-upstream-${stack.suffix}`,
        pricing,
        maxCompletionTokens: 4096,
        supportedParameters: ['max_tokens', 'temperature', 'tools', 'tool_choice'],
      });
      expect(endpoint.status).toBe(201);
      expect(endpoint.body.data.id).toBe(`${id}@simulator`);
      const createdAt = Date.now();

      const listing = await waitFor(async () => (await listed('/models')).body.data.find((candidate) => candidate.id === id), { timeoutMs: 1_000, intervalMs: 20, message: 'ingress lists the new model' });
      expect(openRouterModelSchema.safeParse(listing).success).toBe(true);
      expect(listing.pricing).toMatchObject(pricing);
      expect(listing.supported_parameters).toEqual(expect.arrayContaining(['tools', 'max_tokens']));
      const plan = await waitFor(async () => {
        const explained = await explain({ model: id });
        return explained.ok && explained.attempts.length > 0 ? explained : undefined;
      }, { timeoutMs: Math.max(50, createdAt + 1_000 - Date.now()), intervalMs: 20, message: 'routing explains the new model' });
      expect(plan.attempts.map((attempt) => attempt.endpointId)).toEqual([`${id}@simulator`]);
      const completion = await chat(id, 'Hello, new model');
      expect(Date.now() - createdAt).toBeLessThan(1_500);
      expect(completion.model).toBe(id);
      expect((completion as unknown as { provider: string }).provider).toBe('Switchyard Simulator');
      expectPriced(charged(completion), pricing);
      const table = await stack.admin('routing', 'GET', '/admin/health-table');
      expect((table.body.endpoints as Array<{ id: string; inCatalog: boolean }>).find((row) => row.id === `${id}@simulator`)?.inCatalog).toBe(true);
    });
  });

  describe('prices', () => {
    it('a price change applies to the next request and never to one already admitted (cost, generation record, debit)', async () => {
      const model = 'openai/gpt-4.1-nano';
      const endpointId = `${model}@simulator`;
      const upstream = 'openai/gpt-4.1-nano';
      const only = { provider: { only: ['simulator'] } };
      const oldPricing = (await endpointsOf(model)).find((endpoint) => endpoint.tag === 'simulator')!.pricing;
      expect(oldPricing).toMatchObject({ prompt: '0.0000001', completion: '0.0000004' });
      const newPricing = { prompt: '0.00000025', completion: '0.0000013' };

      // A slow upstream: the request is admitted and planned, then waits 1.5 s for its first token.
      expect((await stack.admin('simulator', 'PUT', `/admin/knobs/${encodeURIComponent(upstream)}`, { ttftMs: 1_500, tokensPerSecond: 40 })).status).toBe(200);
      try {
        const stream = await client.chat.completions.create({ model, messages: [{ role: 'user', content: 'Take your time' }], stream: true, ...only } as OpenAI.ChatCompletionCreateParamsStreaming);
        const consumed = (async () => {
          const chunks: OpenAI.ChatCompletionChunk[] = [];
          for await (const chunk of stream) chunks.push(chunk);
          return { chunks, endedAt: Date.now() };
        })();
        await waitFor(async () => {
          const inflight = await stack.admin('simulator', 'GET', '/admin/inflight');
          return (inflight.body.requests as Array<{ model: string; phase: string }>).some((request) => request.model === upstream && request.phase === 'waiting');
        }, { timeoutMs: 1_000, intervalMs: 20, message: 'the slow request reached the upstream' });

        const patched = await catalogAdmin('PATCH', `/admin/endpoints/${encodeURIComponent(endpointId)}`, { pricing: newPricing });
        expect(patched.status).toBe(200);
        await waitFor(async () => (await endpointsOf(model)).find((endpoint) => endpoint.tag === 'simulator')?.pricing.prompt === newPricing.prompt, { timeoutMs: 1_000, intervalMs: 20, message: 'ingress serves the new price' });
        const newPriceSeenAt = Date.now();

        const { chunks, endedAt } = await consumed;
        expect(endedAt).toBeGreaterThan(newPriceSeenAt);
        const last = chunks.at(-1)!;
        expect(last.choices).toEqual([]);
        const inFlight = charged(last);
        expect(inFlight.completion_tokens).toBe(24);
        expectPriced(inFlight, oldPricing);

        await stack.admin('simulator', 'DELETE', `/admin/knobs/${encodeURIComponent(upstream)}`);
        const next = await chat(model, 'Take your time', only);
        const nextUsage = charged(next);
        expect(nextUsage.prompt_tokens).toBe(inFlight.prompt_tokens);
        expect(nextUsage.completion_tokens).toBe(inFlight.completion_tokens);
        expectPriced(nextUsage, newPricing);
        expect(new Decimal(nextUsage.cost).gt(inFlight.cost)).toBe(true);

        // Metering recorded each generation at the price it was admitted with.
        for (const [id, cost] of [[last.id, inFlight.cost], [next.id, nextUsage.cost]] as const) {
          expect(formatMoney((await stack.generation(id)).total_cost as number)).toBe(formatMoney(cost));
        }
      } finally {
        await stack.admin('simulator', 'DELETE', `/admin/knobs/${encodeURIComponent(upstream)}`);
      }
    });
  });

  describe('import of an OpenRouter-format model list', () => {
    it('shows a dry-run diff without writing, applies it in one version, and ingress lists and routes the imported models; a re-import diffs prices', async () => {
      const id = `e2e-lab/imported-${stack.suffix}`;
      const entry = (variant: '' | ':free', pricing: Record<string, string>) => ({
        id: `${id}${variant}`,
        canonical_slug: `${id}-20251201`,
        hugging_face_id: null,
        name: `E2E Lab: Imported${variant ? ' (free)' : ''}`,
        created: 1764547200,
        description: 'Imported from an OpenRouter-format list by the catalog end-to-end test',
        context_length: 65536,
        architecture: { modality: 'text->text', input_modalities: ['text'], output_modalities: ['text'], tokenizer: 'Other', instruct_type: null },
        pricing: { request: '0', image: '0', ...pricing },
        top_provider: { context_length: 65536, max_completion_tokens: 8192, is_moderated: false },
        per_request_limits: null,
        supported_parameters: ['max_tokens', 'temperature', 'response_format', 'tools', 'tool_choice'],
        default_parameters: { temperature: null },
        knowledge_cutoff: null,
        expiration_date: null,
      });
      const list = {
        data: [
          entry('', { prompt: '0.0000004', completion: '0.0000016', input_cache_read: '0.0000001' }),
          entry(':free', { prompt: '0', completion: '0' }),
          { ...entry('', { prompt: '-1', completion: '-1' }), id: 'openrouter/auto', name: 'Auto Router' },
        ],
      };
      const versionBefore = (await catalogAdmin('GET', '/admin/catalog/version')).body.version as number;

      const dryRun = await catalogAdmin('POST', '/admin/import', { provider: 'simulator', models: list, dryRun: true });
      expect(dryRun.status).toBe(200);
      expect(dryRun.body.dryRun).toBe(true);
      expect(dryRun.body.created).toEqual(expect.arrayContaining([{ kind: 'model', id }, { kind: 'endpoint', id: `${id}@simulator` }, { kind: 'endpoint', id: `${id}@simulator/free` }]));
      expect(dryRun.body.created).toHaveLength(3);
      expect(dryRun.body.updated).toEqual([]);
      expect(dryRun.body.skipped.map((skip: { id: string }) => skip.id)).toEqual(['openrouter/auto']);
      expect((await catalogAdmin('GET', '/admin/catalog/version')).body.version).toBe(versionBefore);
      expect((await get(`/model/${id}`)).status).toBe(404);

      const applied = await catalogAdmin('POST', '/admin/import', { provider: 'simulator', models: list });
      expect(applied.status).toBe(200);
      expect(applied.body.dryRun).toBe(false);
      expect(applied.body.created).toEqual(dryRun.body.created);
      expect(applied.body.version).toBe(versionBefore + 1);
      const appliedAt = Date.now();

      const imported = await waitFor(async () => (await listed('/models')).body.data.find((model) => model.id === id), { timeoutMs: 1_000, intervalMs: 20, message: 'ingress lists the imported model' });
      expect(Date.now() - appliedAt).toBeLessThan(1_000);
      expect(openRouterModelSchema.safeParse(imported).success).toBe(true);
      expect(imported.pricing).toMatchObject({ prompt: '0.0000004', completion: '0.0000016', input_cache_read: '0.0000001' });
      expect(imported.name).toBe('E2E Lab: Imported');
      const free = await get<{ data: ListedModel }>(`/model/${id}:free`);
      expect(free.status).toBe(200);
      expect(free.body.data.pricing).toMatchObject({ prompt: '0', completion: '0' });
      const routed = await chat(id, 'Imported and routable?');
      expect(routed.model).toBe(id);
      expectPriced(charged(routed), { prompt: '0.0000004', completion: '0.0000016' });

      // The same list again changes nothing; a new price shows up as a field diff, then applies.
      const again = await catalogAdmin('POST', '/admin/import', { provider: 'simulator', models: list });
      expect(again.body.created).toEqual([]);
      expect(again.body.updated).toEqual([]);
      expect(again.body.version).toBe(versionBefore + 1);
      const repriced = { data: [entry('', { prompt: '0.0000005', completion: '0.0000016', input_cache_read: '0.0000001' })] };
      const diff = await catalogAdmin('POST', '/admin/import', { provider: 'simulator', models: repriced, dryRun: true });
      expect(diff.body.updated).toEqual([
        {
          kind: 'endpoint',
          id: `${id}@simulator`,
          fields: { pricing: { from: { prompt: '0.0000004', completion: '0.0000016', input_cache_read: '0.0000001' }, to: { prompt: '0.0000005', completion: '0.0000016', input_cache_read: '0.0000001' } } },
        },
      ]);
      const reapplied = await catalogAdmin('POST', '/admin/import', { provider: 'simulator', models: repriced });
      expect(reapplied.body.version).toBe(versionBefore + 2);
      await waitFor(async () => (await listed('/models')).body.data.find((model) => model.id === id)?.pricing.prompt === '0.0000005', { timeoutMs: 1_000, intervalMs: 20, message: 'ingress lists the new imported price' });
    });
  });

  it('reports every usage.cost of this file exactly in the account debit', async () => {
    expect(spent.gt(0)).toBe(true);
    const credits = await stack.demoUsageReaches(spent);
    expect(credits.totalCredits).toBe(100);
  });
});
