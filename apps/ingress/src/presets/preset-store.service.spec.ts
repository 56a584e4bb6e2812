import { jest } from '@jest/globals';
import { NotFoundError, type Preset, subjects } from '@switchyard/contracts';
import type { NatsService } from '@switchyard/nest-kit';
import { ingressConfigSchema } from '../config/ingress.config.js';
import { PRESET_STORE_MAX_ENTRIES, PresetStore } from './preset-store.service.js';

const preset = (version: number, slug = 'bot'): Preset => ({ slug, version, name: slug, description: null, system_prompt: null, config: { model: 'm/x' }, cache_enabled: null, cache_ttl_seconds: null, created_at: '2026-11-25T08:00:00.000Z' });

/** A NATS stand-in: billing's presets RPC answers from `stored`, and the change event can be delivered by hand. */
function fakeNats() {
  const state = { stored: new Map<string, Preset>(), reads: 0, gate: undefined as Promise<void> | undefined };
  const handlers = new Map<string, (data: unknown) => void>();
  const reconnects: Array<() => void> = [];
  const nats = {
    subscribe: (subject: string, handler: (data: unknown) => void) => (handlers.set(subject, handler), { unsubscribe: () => handlers.delete(subject) }),
    onReconnect: (listener: () => void) => (reconnects.push(listener), () => undefined),
    request: async (subject: string, data: { accountId: string; slug: string }) => {
      expect(subject).toBe(subjects.billing.presets);
      state.reads += 1;
      const found = state.stored.get(`${data.accountId}/${data.slug}`);
      if (state.gate) await state.gate;
      if (!found) throw new NotFoundError(`Preset '${data.slug}' not found`);
      return { data: found };
    },
  } as unknown as NatsService;
  const announce = (accountId: string, slug: string, version: number | null) => handlers.get(subjects.billing.presetChanged)?.({ accountId, slug, version });
  return { nats, state, announce, reconnect: () => reconnects.forEach((listener) => listener()) };
}

describe('PresetStore', () => {
  const config = ingressConfigSchema.parse({ PRESET_CACHE_TTL_MS: '60000' });
  afterEach(() => jest.useRealTimers());

  it('reads a preset from billing once, then from memory, per account', async () => {
    const { nats, state } = fakeNats();
    state.stored.set('acct-1/bot', preset(1));
    const store = new PresetStore(nats, config);
    store.onApplicationBootstrap();
    await Promise.all([store.get('acct-1', 'bot'), store.get('acct-1', 'bot')]);
    expect(await store.get('acct-1', 'bot')).toMatchObject({ version: 1 });
    expect(state.reads).toBe(1);
    await expect(store.get('acct-2', 'bot')).rejects.toMatchObject({ status: 404, message: expect.stringContaining("Preset 'bot' not found") });
    // An unknown preset is remembered too: billing is not asked again for it.
    await expect(store.get('acct-2', 'bot')).rejects.toMatchObject({ status: 404 });
    expect(state.reads).toBe(2);
  });

  it('forgets a preset when billing announces its change, and reads the new version on the next request', async () => {
    const { nats, state, announce } = fakeNats();
    state.stored.set('acct-1/bot', preset(1));
    const store = new PresetStore(nats, config);
    store.onApplicationBootstrap();
    await store.get('acct-1', 'bot');
    state.stored.set('acct-1/bot', preset(2));
    expect(await store.get('acct-1', 'bot')).toMatchObject({ version: 1 });
    announce('acct-1', 'bot', 2);
    expect(await store.get('acct-1', 'bot')).toMatchObject({ version: 2 });
    state.stored.delete('acct-1/bot');
    announce('acct-1', 'bot', null);
    await expect(store.get('acct-1', 'bot')).rejects.toMatchObject({ status: 404 });
  });

  it('reads again when a change is announced while a read is under way (its answer may predate the change)', async () => {
    const { nats, state, announce } = fakeNats();
    state.stored.set('acct-1/bot', preset(1));
    let open!: () => void;
    state.gate = new Promise((resolve) => (open = resolve));
    const store = new PresetStore(nats, config);
    store.onApplicationBootstrap();
    const reading = store.get('acct-1', 'bot');
    await Promise.resolve();
    state.stored.set('acct-1/bot', preset(2));
    announce('acct-1', 'bot', 2);
    state.gate = undefined;
    open();
    expect(await reading).toMatchObject({ version: 2 });
    expect(state.reads).toBe(2);
  });

  it('re-reads after PRESET_CACHE_TTL_MS and after a reconnect (announcements may have been missed)', async () => {
    jest.useFakeTimers({ now: Date.parse('2026-11-25T08:00:00Z') });
    const { nats, state, reconnect } = fakeNats();
    state.stored.set('acct-1/bot', preset(1));
    const store = new PresetStore(nats, config);
    store.onApplicationBootstrap();
    await store.get('acct-1', 'bot');
    jest.setSystemTime(Date.now() + 59_999);
    await store.get('acct-1', 'bot');
    expect(state.reads).toBe(1);
    jest.setSystemTime(Date.now() + 1);
    state.stored.set('acct-1/bot', preset(2));
    expect(await store.get('acct-1', 'bot')).toMatchObject({ version: 2 });
    expect(state.reads).toBe(2);
    state.stored.set('acct-1/bot', preset(3));
    reconnect();
    expect(await store.get('acct-1', 'bot')).toMatchObject({ version: 3 });
  });

  it(`keeps at most ${PRESET_STORE_MAX_ENTRIES} presets: past that, the one read longest ago is forgotten and read again when named`, async () => {
    const { nats, state } = fakeNats();
    for (let index = 0; index <= PRESET_STORE_MAX_ENTRIES; index++) state.stored.set(`acct-1/p${index}`, preset(1, `p${index}`));
    const store = new PresetStore(nats, config);
    store.onApplicationBootstrap();
    for (let index = 0; index < PRESET_STORE_MAX_ENTRIES; index++) await store.get('acct-1', `p${index}`);
    expect(state.reads).toBe(PRESET_STORE_MAX_ENTRIES);
    // Full: all still in memory.
    await store.get('acct-1', 'p0');
    expect(state.reads).toBe(PRESET_STORE_MAX_ENTRIES);
    // One more pushes out the oldest read (p0); the newest stay.
    await store.get('acct-1', `p${PRESET_STORE_MAX_ENTRIES}`);
    await store.get('acct-1', `p${PRESET_STORE_MAX_ENTRIES - 1}`);
    expect(state.reads).toBe(PRESET_STORE_MAX_ENTRIES + 1);
    expect(await store.get('acct-1', 'p0')).toMatchObject({ slug: 'p0' });
    expect(state.reads).toBe(PRESET_STORE_MAX_ENTRIES + 2);
  });
});
