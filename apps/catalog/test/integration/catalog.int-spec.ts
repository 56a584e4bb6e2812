import 'reflect-metadata';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { type CatalogChanged, catalogChangedSchema, subjects } from '@switchyard/contracts';
import { type CatalogSnapshot, catalogSnapshotSchema } from '@switchyard/llm-spec';
import { dropSchema, NatsService } from '@switchyard/nest-kit';
import { TEST_DATABASE_URL, uniqueSchema, waitFor } from '@switchyard/nest-kit/testing';
import { createServer, type Server } from 'node:http';
import { readFileSync } from 'node:fs';
import { admin, natsConnection, type RunningCatalog, startCatalog } from './catalog-helpers.js';

const schema = uniqueSchema('catalog');
const seed = JSON.parse(readFileSync(new URL('../../seed/market.json', import.meta.url), 'utf8'));
const SIMULATOR_URL = 'http://127.0.0.1:18123/openai/v1';

/** A small OpenRouter /models response: a plain model, its :free variant and a router priced "-1". */
function openRouterList(promptPrice = '0.0000002') {
  return {
    data: [
      {
        id: 'acme/rocket-1',
        canonical_slug: 'acme/rocket-1-20251101',
        hugging_face_id: 'acme/rocket-1',
        name: 'Acme: Rocket 1',
        description: 'A fast model.',
        created: 1761955200,
        context_length: 131072,
        architecture: { modality: 'text->text', input_modalities: ['text'], output_modalities: ['text'], tokenizer: 'Llama3', instruct_type: null },
        pricing: { prompt: promptPrice, completion: '0.0000008', request: '0', image: '0', web_search: '0', internal_reasoning: '0' },
        top_provider: { context_length: 131072, max_completion_tokens: 8192, is_moderated: false },
        per_request_limits: null,
        supported_parameters: ['temperature', 'top_p', 'max_tokens', 'tools'],
        default_parameters: { temperature: null, top_p: null },
        knowledge_cutoff: '2025-06-30',
      },
      {
        id: 'acme/rocket-1:free',
        canonical_slug: 'acme/rocket-1-20251101',
        name: 'Acme: Rocket 1 (free)',
        created: 1761955200,
        context_length: 32768,
        architecture: { modality: 'text->text', input_modalities: ['text'], output_modalities: ['text'], tokenizer: 'Llama3' },
        pricing: { prompt: '0', completion: '0' },
        top_provider: { context_length: 32768, max_completion_tokens: 4096, is_moderated: false },
        supported_parameters: ['temperature', 'max_tokens'],
      },
      {
        id: 'openrouter/auto',
        name: 'Auto Router',
        created: 1699401600,
        context_length: 2000000,
        architecture: { modality: 'text->text', input_modalities: ['text'], output_modalities: ['text'], tokenizer: 'Router' },
        pricing: { prompt: '-1', completion: '-1' },
      },
    ],
  };
}

describe('catalog service (real Postgres and NATS)', () => {
  let catalog: RunningCatalog;
  let base: string;
  let listener: NatsConnection;
  let subscription: Subscription;
  const events: CatalogChanged[] = [];
  let listServer: Server;
  let listBase: string;

  const snapshot = async (): Promise<CatalogSnapshot> => catalogSnapshotSchema.parse(await catalog.app.get(NatsService).request(subjects.catalog.snapshot, {}));
  /** The `catalog.changed` event of `version`, heard by a separate connection within a second. */
  const eventFor = (version: number) =>
    waitFor(() => events.find((event) => event.version === version), { timeoutMs: 1_000, intervalMs: 10, message: `catalog.changed v${version} within 1 s` });

  beforeAll(async () => {
    listServer = createServer((request, response) => {
      if (request.url === '/api/v1/models') {
        response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(openRouterList('0.0000003')));
      } else if (request.url === '/redirect') {
        response.writeHead(302, { location: 'https://example.com/models' }).end();
      } else if (request.url === '/huge') {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ data: [], padding: 'x'.repeat(64 * 1024) }));
      } else {
        response.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve) => listServer.listen(0, '127.0.0.1', resolve));
    const address = listServer.address();
    listBase = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;

    listener = await natsConnection();
    subscription = listener.subscribe(subjects.catalog.changed, {
      callback: (error, message) => {
        if (!error) events.push(catalogChangedSchema.parse(message.json()) as CatalogChanged);
      },
    });
    await listener.flush();
    catalog = await startCatalog(schema, { SIMULATOR_BASE_URL: SIMULATOR_URL, CATALOG_IMPORT_ALLOWED_HOSTS: '127.0.0.1', CATALOG_IMPORT_MAX_BYTES: String(32 * 1024) });
    base = catalog.base;
  });

  afterAll(async () => {
    subscription?.unsubscribe();
    await listener?.close();
    await catalog?.app.close();
    await new Promise((resolve) => listServer?.close(resolve));
    await dropSchema(TEST_DATABASE_URL, schema);
  });

  it('seeds an empty schema from seed/market.json and serves it over the snapshot RPC', async () => {
    const served = await snapshot();
    expect(served.version).toBe(1);
    expect(served.providers).toHaveLength(seed.providers.length);
    expect(served.models).toHaveLength(seed.models.length);
    expect(served.endpoints).toHaveLength(seed.endpoints.length);
    expect(Object.keys(served.aliases)).toHaveLength(Object.keys(seed.aliases).length);
    expect(served.providers.find((provider) => provider.slug === 'simulator')?.baseUrl).toBe(SIMULATOR_URL);
    const mini = served.endpoints.find((endpoint) => endpoint.id === 'openai/gpt-4o-mini@openai');
    expect(mini?.pricing).toEqual({ prompt: '0.00000015', completion: '0.0000006', input_cache_read: '0.000000075' });
    const expected = seed.endpoints.find((endpoint: { id: string }) => endpoint.id === 'anthropic/claude-sonnet-4.5@anthropic/extended');
    expect(served.endpoints.find((endpoint) => endpoint.id === expected.id)).toEqual(expected);
    expect(served.aliases['~anthropic/claude-opus-latest']).toBe('anthropic/claude-opus-4.5');

    const version = await admin(base, 'GET', '/admin/catalog/version');
    expect(version.body).toEqual({ version: 1, snapshotVersion: 1 });
    const changes = await admin(base, 'GET', '/admin/catalog/changes?since=0');
    expect(changes.body.data).toEqual([expect.objectContaining({ version: 1, source: 'seed' })]);
  });

  it('rejects admin calls without the token (401 envelope) and bad bodies (400 naming the field)', async () => {
    const missing = await admin(base, 'GET', '/admin/providers', undefined, null);
    expect(missing.status).toBe(401);
    expect(missing.body.error).toMatchObject({ code: 401, metadata: { error_type: 'authentication' } });
    expect((await admin(base, 'GET', '/admin/catalog/version', undefined, 'wrong-token-123')).status).toBe(401);

    const badPrice = await admin(base, 'PATCH', `/admin/endpoints/${encodeURIComponent('openai/gpt-4o-mini@openai')}`, { pricing: { prompt: '-1' } });
    expect(badPrice.status).toBe(400);
    expect(badPrice.body.error).toMatchObject({ code: 400, metadata: { error_type: 'invalid_request' } });
    expect(badPrice.body.error.message).toContain('pricing.prompt');

    const unknownKey = await admin(base, 'POST', '/admin/providers', { slug: 'x', name: 'X', wireFormat: 'openai', baseUrl: 'https://x.example/v1', dataPolicy: { training: false, retainsPrompts: false, zdr: true }, colour: 'red' });
    expect(unknownKey.status).toBe(400);
    expect(unknownKey.body.error.message).toContain('colour');

    const notJson = await admin(base, 'POST', '/admin/models', '{"id":');
    expect(notJson.status).toBe(400);
    const variantId = await admin(base, 'POST', '/admin/models', { id: 'acme/thing:free', canonicalSlug: 'acme/thing', name: 'Thing', created: 1, contextLength: 1000 });
    expect(variantId.status).toBe(400);
    const missingModel = await admin(base, 'GET', '/admin/models/acme/nothing');
    expect(missingModel.status).toBe(404);
    expect((await admin(base, 'GET', '/admin/catalog/changes?since=-3')).status).toBe(400);
    expect((await admin(base, 'GET', '/admin/catalog/version')).body.version).toBe(1);
  });

  it('creates a provider, model, endpoint and alias, each bumping the version and announcing it within 1 s', async () => {
    const provider = await admin(base, 'POST', '/admin/providers', {
      slug: 'acme-cloud',
      name: 'Acme Cloud',
      wireFormat: 'openai',
      adapter: 'openai',
      baseUrl: 'https://api.acme.example/v1',
      dataPolicy: { training: false, retainsPrompts: false, zdr: true },
      headquarters: 'US',
      datacenters: ['US'],
    });
    expect(provider.status).toBe(201);
    expect(provider.body).toMatchObject({ version: 2, changed: true, data: { slug: 'acme-cloud', status: 'active', dataPolicy: { retentionDays: null, moderated: false } } });
    expect((await eventFor(2)).changes).toEqual([{ kind: 'provider', id: 'acme-cloud', action: 'created' }]);
    expect((await admin(base, 'POST', '/admin/providers', provider.body.data)).status).toBe(409);

    const model = await admin(base, 'POST', '/admin/models', { id: 'acme/widget-1', canonicalSlug: 'acme/widget-1-20250101', name: 'Acme: Widget 1', created: 1735689600, contextLength: 65536 });
    expect(model.body.version).toBe(3);
    await eventFor(3);

    const endpoint = await admin(base, 'POST', '/admin/endpoints', {
      modelId: 'acme/widget-1',
      providerSlug: 'acme-cloud',
      upstreamModelId: 'widget-1',
      pricing: { prompt: '0.00000100', completion: '0.000002' },
      supportedParameters: ['temperature', 'tools'],
    });
    expect(endpoint.status).toBe(201);
    expect(endpoint.body.data).toMatchObject({ id: 'acme/widget-1@acme-cloud', tag: 'acme-cloud', variant: 'standard', contextLength: 65536, pricing: { prompt: '0.000001', completion: '0.000002' } });
    expect(endpoint.body.version).toBe(4);
    expect((await eventFor(4)).changes).toEqual([{ kind: 'endpoint', id: 'acme/widget-1@acme-cloud', action: 'created' }]);

    const free = await admin(base, 'POST', '/admin/endpoints', { modelId: 'acme/widget-1', providerSlug: 'acme-cloud', tag: 'acme-cloud/free', upstreamModelId: 'widget-1', pricing: { prompt: '0', completion: '0' } });
    expect(free.body.data).toMatchObject({ id: 'acme/widget-1@acme-cloud/free', variant: 'free', serviceTier: 'default' });
    await eventFor(5);
    const wrongTag = await admin(base, 'POST', '/admin/endpoints', { modelId: 'acme/widget-1', providerSlug: 'acme-cloud', tag: 'openai', upstreamModelId: 'w', pricing: { prompt: '0', completion: '0' } });
    expect(wrongTag.status).toBe(400);
    const unknownModel = await admin(base, 'POST', '/admin/endpoints', { modelId: 'acme/none', providerSlug: 'acme-cloud', upstreamModelId: 'w', pricing: { prompt: '0', completion: '0' } });
    expect(unknownModel.status).toBe(400);

    const alias = await admin(base, 'PUT', `/admin/aliases/${encodeURIComponent('~acme/widget-latest')}`, { target: 'acme/widget-1' });
    expect(alias.body).toMatchObject({ version: 6, data: { alias: '~acme/widget-latest', target: 'acme/widget-1' } });
    await eventFor(6);
    const served = await snapshot();
    expect(served.version).toBe(6);
    expect(served.aliases['~acme/widget-latest']).toBe('acme/widget-1');
    expect(served.endpoints.filter((entry) => entry.modelId === 'acme/widget-1').map((entry) => entry.id).sort()).toEqual(['acme/widget-1@acme-cloud', 'acme/widget-1@acme-cloud/free']);

    const removed = await admin(base, 'DELETE', `/admin/aliases/${encodeURIComponent('~acme/widget-latest')}`);
    expect(removed.body.version).toBe(7);
    await eventFor(7);
    expect((await snapshot()).aliases['~acme/widget-latest']).toBeUndefined();
    expect((await admin(base, 'DELETE', `/admin/aliases/${encodeURIComponent('~acme/widget-latest')}`)).status).toBe(404);
    expect((await admin(base, 'PUT', `/admin/aliases/${encodeURIComponent('~acme/x-latest')}`, { target: 'acme/none' })).status).toBe(400);
  });

  it('changes a price through PATCH: visible in the next snapshot, logged with old and new value; a no-op PATCH changes nothing', async () => {
    const id = encodeURIComponent('openai/gpt-4o-mini@openai');
    const before = (await admin(base, 'GET', '/admin/catalog/version')).body.version as number;
    const patched = await admin(base, 'PATCH', `/admin/endpoints/${id}`, { pricing: { prompt: '0.0000002', input_cache_read: null } });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ version: before + 1, changed: true, data: { pricing: { prompt: '0.0000002', completion: '0.0000006' } } });
    expect(patched.body.data.pricing.input_cache_read).toBeUndefined();
    await eventFor(before + 1);
    const served = (await snapshot()).endpoints.find((endpoint) => endpoint.id === 'openai/gpt-4o-mini@openai');
    expect(served?.pricing).toEqual({ prompt: '0.0000002', completion: '0.0000006' });

    const log = await admin(base, 'GET', `/admin/catalog/changes?since=${before}`);
    expect(log.body.data[0].changes[0]).toEqual({
      kind: 'endpoint',
      id: 'openai/gpt-4o-mini@openai',
      action: 'updated',
      fields: { pricing: { from: { prompt: '0.00000015', completion: '0.0000006', input_cache_read: '0.000000075' }, to: { prompt: '0.0000002', completion: '0.0000006' } } },
    });

    const same = await admin(base, 'PATCH', `/admin/endpoints/${id}`, { pricing: { prompt: '0.00000020' } });
    expect(same.body).toMatchObject({ version: before + 1, changed: false });
    expect((await admin(base, 'GET', `/admin/endpoints/${id}`)).body.data.pricing.prompt).toBe('0.0000002');
  });

  it('disabling an endpoint, model or provider removes it from the snapshot; enabling brings it back', async () => {
    const id = 'meta-llama/llama-3.3-70b-instruct@groq';
    const disabled = await admin(base, 'POST', `/admin/endpoints/${encodeURIComponent(id)}/disable`);
    expect(disabled.body).toMatchObject({ changed: true, data: { status: 'disabled' } });
    expect((await eventFor(disabled.body.version)).changes).toEqual([{ kind: 'endpoint', id, action: 'disabled' }]);
    expect((await snapshot()).endpoints.some((endpoint) => endpoint.id === id)).toBe(false);
    const listed = await admin(base, 'GET', '/admin/endpoints?provider=groq&status=disabled');
    expect(listed.body.data.map((endpoint: { id: string }) => endpoint.id)).toEqual([id]);
    const enabled = await admin(base, 'POST', `/admin/endpoints/${encodeURIComponent(id)}/enable`);
    expect(enabled.body.version).toBe(disabled.body.version + 1);
    expect((await snapshot()).endpoints.some((endpoint) => endpoint.id === id)).toBe(true);

    const provider = await admin(base, 'POST', '/admin/providers/groq/disable');
    await eventFor(provider.body.version);
    const withoutGroq = await snapshot();
    expect(withoutGroq.providers.some((entry) => entry.slug === 'groq')).toBe(false);
    expect(withoutGroq.endpoints.some((entry) => entry.providerSlug === 'groq')).toBe(false);
    await admin(base, 'POST', '/admin/providers/groq/enable');

    const model = await admin(base, 'POST', '/admin/models/openai/gpt-4.1-nano/disable');
    expect(model.body.data.status).toBe('disabled');
    const withoutModel = await snapshot();
    expect(withoutModel.models.some((entry) => entry.id === 'openai/gpt-4.1-nano')).toBe(false);
    expect(withoutModel.endpoints.some((entry) => entry.modelId === 'openai/gpt-4.1-nano')).toBe(false);
    expect((await admin(base, 'GET', '/admin/models/openai/gpt-4.1-nano')).body.data.status).toBe('disabled');
    await admin(base, 'POST', '/admin/models/openai/gpt-4.1-nano/enable');
    expect((await snapshot()).models.some((entry) => entry.id === 'openai/gpt-4.1-nano')).toBe(true);

    const renamed = await admin(base, 'PATCH', '/admin/providers/acme-cloud', { name: 'Acme Cloud AI', dataPolicy: { retentionDays: 7, retainsPrompts: true } });
    expect(renamed.body.data).toMatchObject({ name: 'Acme Cloud AI', dataPolicy: { training: false, retainsPrompts: true, retentionDays: 7, zdr: true } });
  });

  it("sets a provider's API version through PATCH (served in the snapshot, logged), clears it with null, refuses an empty one", async () => {
    const set = await admin(base, 'PATCH', '/admin/providers/azure', { apiVersion: '2025-04-01-preview' });
    expect(set.status).toBe(200);
    expect(set.body.data).toMatchObject({ slug: 'azure', apiVersion: '2025-04-01-preview' });
    await eventFor(set.body.version);
    const log = await admin(base, 'GET', `/admin/catalog/changes?since=${set.body.version - 1}`);
    expect(log.body.data[0].changes[0]).toEqual({ kind: 'provider', id: 'azure', action: 'updated', fields: { apiVersion: { from: null, to: '2025-04-01-preview' } } });
    expect((await snapshot()).providers.find((provider) => provider.slug === 'azure')?.apiVersion).toBe('2025-04-01-preview');
    expect((await admin(base, 'PATCH', '/admin/providers/azure', { apiVersion: '' })).status).toBe(400);
    const cleared = await admin(base, 'PATCH', '/admin/providers/azure', { apiVersion: null });
    expect(cleared.body.data).not.toHaveProperty('apiVersion');
    expect((await snapshot()).providers.find((provider) => provider.slug === 'azure')).not.toHaveProperty('apiVersion');
  });

  it('imports an OpenRouter model list: dry run writes nothing, apply bumps the version once, re-import is all unchanged', async () => {
    const before = (await admin(base, 'GET', '/admin/catalog/version')).body.version as number;
    const dry = await admin(base, 'POST', '/admin/import', { provider: 'acme-cloud', models: openRouterList(), dryRun: true });
    expect(dry.status).toBe(200);
    expect(dry.body).toMatchObject({ dryRun: true, version: before, unchanged: 0, updated: [] });
    expect(dry.body.created).toEqual([
      { kind: 'model', id: 'acme/rocket-1' },
      { kind: 'endpoint', id: 'acme/rocket-1@acme-cloud' },
      { kind: 'endpoint', id: 'acme/rocket-1@acme-cloud/free' },
    ]);
    expect(dry.body.skipped).toEqual([{ id: 'openrouter/auto', reason: expect.stringContaining('negative') }]);
    expect((await admin(base, 'GET', '/admin/catalog/version')).body.version).toBe(before);
    expect((await snapshot()).models.some((model) => model.id === 'acme/rocket-1')).toBe(false);

    const applied = await admin(base, 'POST', '/admin/import', { provider: 'acme-cloud', models: openRouterList().data });
    expect(applied.body).toMatchObject({ dryRun: false, version: before + 1 });
    expect(applied.body.created).toHaveLength(3);
    expect((await eventFor(before + 1)).changes).toHaveLength(3);
    const served = await snapshot();
    expect(served.version).toBe(before + 1);
    expect(served.models.find((model) => model.id === 'acme/rocket-1')).toMatchObject({ canonicalSlug: 'acme/rocket-1-20251101', tokenizer: 'Llama3', knowledgeCutoff: '2025-06-30', contextLength: 131072 });
    expect(served.endpoints.find((endpoint) => endpoint.id === 'acme/rocket-1@acme-cloud/free')).toMatchObject({ variant: 'free', upstreamModelId: 'acme/rocket-1:free', contextLength: 32768, maxCompletionTokens: 4096, pricing: { prompt: '0', completion: '0' } });

    const again = await admin(base, 'POST', '/admin/import', { provider: 'acme-cloud', models: openRouterList() });
    expect(again.body).toMatchObject({ version: before + 1, created: [], updated: [], unchanged: 3 });

    const cheaper = await admin(base, 'POST', '/admin/import', { provider: 'acme-cloud', models: openRouterList('0.00000015'), disableMissing: true });
    expect(cheaper.body.version).toBe(before + 2);
    expect(cheaper.body.updated).toEqual([{ kind: 'endpoint', id: 'acme/rocket-1@acme-cloud', fields: { pricing: { from: { prompt: '0.0000002', completion: '0.0000008' }, to: { prompt: '0.00000015', completion: '0.0000008' } } } }]);
    expect(cheaper.body.disabled.map((entry: { id: string }) => entry.id).sort()).toEqual(['acme/widget-1@acme-cloud', 'acme/widget-1@acme-cloud/free']);
    expect((await snapshot()).endpoints.some((endpoint) => endpoint.id === 'acme/widget-1@acme-cloud')).toBe(false);

    expect((await admin(base, 'POST', '/admin/import', { provider: 'nobody', models: [] })).status).toBe(400);
    expect((await admin(base, 'POST', '/admin/import', { provider: 'acme-cloud' })).status).toBe(400);
    expect((await admin(base, 'POST', '/admin/import', { provider: 'acme-cloud', models: { items: [] } })).status).toBe(400);
  });

  it('imports from a URL only on an allowed host, without following redirects, within the size limit', async () => {
    const fetched = await admin(base, 'POST', '/admin/import', { provider: 'acme-cloud', url: `${listBase}/api/v1/models`, dryRun: true });
    expect(fetched.status).toBe(200);
    expect(fetched.body.updated).toEqual([expect.objectContaining({ kind: 'endpoint', id: 'acme/rocket-1@acme-cloud' })]);
    expect(fetched.body.updated[0].fields.pricing.to.prompt).toBe('0.0000003');

    const otherHost = await admin(base, 'POST', '/admin/import', { provider: 'acme-cloud', url: listBase.replace('127.0.0.1', 'localhost') + '/api/v1/models' });
    expect(otherHost.status).toBe(400);
    expect(otherHost.body.error.message).toContain('CATALOG_IMPORT_ALLOWED_HOSTS');
    expect((await admin(base, 'POST', '/admin/import', { provider: 'acme-cloud', url: 'ftp://127.0.0.1/models' })).status).toBe(400);
    expect((await admin(base, 'POST', '/admin/import', { provider: 'acme-cloud', url: `${listBase}/redirect` })).status).toBe(502);
    expect((await admin(base, 'POST', '/admin/import', { provider: 'acme-cloud', url: `${listBase}/missing` })).status).toBe(502);
    const huge = await admin(base, 'POST', '/admin/import', { provider: 'acme-cloud', url: `${listBase}/huge` });
    expect(huge.status).toBe(413);
  });

  it('points the simulator at SIMULATOR_BASE_URL on every start, without seeding again', async () => {
    const before = await snapshot();
    const second = await startCatalog(schema, { SIMULATOR_BASE_URL: 'http://127.0.0.1:18999/openai/v1' });
    try {
      const moved = await eventFor(before.version + 1);
      expect(moved.changes).toEqual(['simulator', 'simulator-anthropic', 'simulator-azure', 'simulator-gemini'].map((id) => ({ kind: 'provider', id, action: 'updated' })));
      // the first replica hears the event and reloads: both serve the new version
      await waitFor(async () => (await admin(base, 'GET', '/admin/catalog/version')).body.snapshotVersion === before.version + 1, { timeoutMs: 2_000 });
      const after = await snapshot();
      expect(after.providers.find((provider) => provider.slug === 'simulator')?.baseUrl).toBe('http://127.0.0.1:18999/openai/v1');
      expect(after.providers.find((provider) => provider.slug === 'simulator-anthropic')?.baseUrl).toBe('http://127.0.0.1:18999/anthropic/v1');
      expect(after.models).toHaveLength(before.models.length);
      expect(after.endpoints).toHaveLength(before.endpoints.length);
    } finally {
      await second.app.close();
    }
  });
});
