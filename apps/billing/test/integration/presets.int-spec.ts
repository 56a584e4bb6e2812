import { type PresetChanged, presetSchema, subjects } from '@switchyard/contracts';
import { waitFor } from '@switchyard/nest-kit/testing';
import { ManualClock } from '../../src/common/clock.js';
import { PRESET_MAX_BYTES } from '../../src/presets/presets.handler.js';
import { BillingTestApp } from './billing-test-app.js';

describe('presets: versions of an account’s request fields (real NATS + Postgres)', () => {
  let billing: BillingTestApp;
  let clock: ManualClock;
  let accountId: string;
  let otherAccountId: string;
  const changes: PresetChanged[] = [];
  let unsubscribe: () => void;
  const presets = (data: Record<string, unknown>) => billing.rpc(subjects.billing.presets, data);

  beforeAll(async () => {
    clock = new ManualClock(Date.parse('2026-11-25T08:00:00Z'));
    billing = await BillingTestApp.start({ clock });
    accountId = (await billing.createAccount({ name: 'Preset Inc' })).id;
    otherAccountId = (await billing.createAccount({ name: 'Other Inc' })).id;
    const subscription = billing.nats.subscribe(subjects.billing.presetChanged, (event) => changes.push(event as PresetChanged));
    unsubscribe = () => subscription.unsubscribe();
  });

  afterAll(async () => {
    unsubscribe?.();
    await billing?.destroy();
  });

  it('creates version 1, then version 2 on a change; reads the latest, any version and the history; announces each change', async () => {
    const first = await presets({ op: 'create', accountId, slug: 'support-bot', name: 'Support bot', system_prompt: 'You answer support questions.', config: { model: 'openai/gpt-4o-mini', temperature: 0.2 } });
    expect(presetSchema.parse(first.data)).toEqual({
      slug: 'support-bot',
      version: 1,
      name: 'Support bot',
      description: null,
      system_prompt: 'You answer support questions.',
      config: { model: 'openai/gpt-4o-mini', temperature: 0.2 },
      cache_enabled: null,
      cache_ttl_seconds: null,
      created_at: '2026-11-25T08:00:00.000Z',
    });
    clock.advance(60_000);
    const second = await presets({ op: 'create', accountId, slug: 'support-bot', config: { model: 'openai/gpt-4.1-nano' }, cache_enabled: true, cache_ttl_seconds: 120 });
    expect(second.data).toMatchObject({ version: 2, name: 'support-bot', system_prompt: null, config: { model: 'openai/gpt-4.1-nano' }, cache_enabled: true, cache_ttl_seconds: 120 });

    expect((await presets({ op: 'get', accountId, slug: 'support-bot' })).data).toMatchObject({ version: 2, cache_enabled: true, cache_ttl_seconds: 120 });
    expect((await presets({ op: 'get', accountId, slug: 'support-bot', version: 1 })).data).toMatchObject({ version: 1, config: { model: 'openai/gpt-4o-mini', temperature: 0.2 }, cache_enabled: null });
    expect((await presets({ op: 'versions', accountId, slug: 'support-bot' })).data.map((preset: { version: number }) => preset.version)).toEqual([2, 1]);
    expect((await presets({ op: 'list', accountId })).data).toEqual([expect.objectContaining({ slug: 'support-bot', version: 2 })]);
    await waitFor(() => changes.filter((change) => change.slug === 'support-bot').length >= 2, { message: 'both changes announced' });
    expect(changes.filter((change) => change.slug === 'support-bot')).toEqual([
      { accountId, slug: 'support-bot', version: 1 },
      { accountId, slug: 'support-bot', version: 2 },
    ]);
  });

  it('keeps accounts apart: another account neither lists nor reads them', async () => {
    expect((await presets({ op: 'list', accountId: otherAccountId })).data).toEqual([]);
    await expect(presets({ op: 'get', accountId: otherAccountId, slug: 'support-bot' })).rejects.toMatchObject({ status: 404, message: expect.stringContaining("Preset 'support-bot' not found") });
  });

  it('numbers versions made at the same moment one after the other', async () => {
    const made = await Promise.all(Array.from({ length: 6 }, (_, index) => presets({ op: 'create', accountId, slug: 'racing', config: { temperature: index / 10 } })));
    expect(made.map((reply) => reply.data.version).sort((a: number, b: number) => a - b)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('deletes every version (announced as version null); unknown slugs and versions are 404, bad slugs and oversized configs 400', async () => {
    await presets({ op: 'create', accountId, slug: 'short-lived', config: {} });
    expect(await presets({ op: 'delete', accountId, slug: 'short-lived' })).toEqual({ deleted: true });
    await expect(presets({ op: 'versions', accountId, slug: 'short-lived' })).rejects.toMatchObject({ status: 404 });
    await waitFor(() => changes.some((change) => change.slug === 'short-lived' && change.version === null), { message: 'the delete announced' });
    await expect(presets({ op: 'delete', accountId, slug: 'short-lived' })).rejects.toMatchObject({ status: 404 });
    await expect(presets({ op: 'get', accountId, slug: 'support-bot', version: 9 })).rejects.toMatchObject({ status: 404, message: expect.stringContaining('no version 9') });
    await expect(presets({ op: 'create', accountId, slug: 'Not A Slug', config: {} })).rejects.toMatchObject({ status: 400 });
    for (const cache_ttl_seconds of [0, 86_401, 1.5]) {
      await expect(presets({ op: 'create', accountId, slug: 'bad-ttl', config: {}, cache_ttl_seconds })).rejects.toMatchObject({ status: 400, message: expect.stringContaining('cache_ttl_seconds') });
    }
    await expect(presets({ op: 'create', accountId, slug: 'bad-flag', config: {}, cache_enabled: 'yes' as unknown as boolean })).rejects.toMatchObject({ status: 400, message: expect.stringContaining('cache_enabled') });
    await expect(presets({ op: 'create', accountId, slug: 'huge', config: { stop: ['x'.repeat(PRESET_MAX_BYTES)] } })).rejects.toMatchObject({ status: 400, message: expect.stringContaining('at most') });
  });
});
