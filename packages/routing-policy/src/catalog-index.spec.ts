import { catalog, endpoint, model, provider } from '../test/builders.js';

const index = catalog({
  providers: [provider('alpha'), provider('beta'), provider('off', { status: 'disabled' })],
  models: [
    model('acme/chat'),
    model('acme/Mixed-Case'),
    model('acme/old', { status: 'disabled' }),
    model('acme/chat-2'),
    model('acme/v:beta'),
  ],
  endpoints: [
    endpoint('acme/chat', 'alpha'),
    endpoint('acme/chat', 'beta', { variant: 'free' }),
    endpoint('acme/chat', 'beta', { status: 'disabled' }),
    endpoint('acme/chat', 'off'),
    endpoint('acme/old', 'alpha'),
    endpoint('acme/chat-2', 'alpha'),
  ],
  aliases: { '~acme/chat-latest': 'acme/chat-2' },
  version: 7,
});

describe('CatalogIndex', () => {
  it('carries the snapshot version', () => {
    expect(index.version).toBe(7);
  });

  it('leaves out disabled models, providers and endpoints', () => {
    expect(index.model('acme/old')).toBeUndefined();
    expect(index.provider('off')).toBeUndefined();
    expect(index.endpointsOf('acme/chat').map((entry) => entry.id)).toEqual(['acme/chat@alpha', 'acme/chat:free@beta']);
    expect(index.endpointsOf('acme/old')).toEqual([]);
    expect(index.endpoint('acme/chat@off')).toBeUndefined();
  });

  it('looks models and providers up case-insensitively', () => {
    expect(index.model('ACME/CHAT')?.id).toBe('acme/chat');
    expect(index.provider('Alpha')?.slug).toBe('alpha');
    expect(index.resolveModel('acme/mixed-case')?.model.id).toBe('acme/Mixed-Case');
  });
});

describe('resolveModel', () => {
  it('resolves author/slug as the standard variant', () => {
    expect(index.resolveModel('acme/chat')).toEqual({ model: index.model('acme/chat'), requestedId: 'acme/chat', variant: 'standard' });
  });

  it.each([
    ['acme/chat:free', 'free', undefined],
    ['acme/chat:extended', 'extended', undefined],
    ['acme/chat:thinking', 'thinking', undefined],
    ['acme/chat:nitro', 'standard', 'nitro'],
    ['acme/chat:floor', 'standard', 'floor'],
    ['acme/chat:exacto', 'standard', 'exacto'],
    ['acme/chat:online', 'standard', undefined],
    ['ACME/Chat:FREE', 'free', undefined],
    ['acme/chat:free:nitro', 'free', 'nitro'],
    ['acme/chat:nitro:free', 'free', 'nitro'],
  ])('resolves %s', (id, variant, dynamic) => {
    const resolved = index.resolveModel(id);
    expect(resolved?.model.id).toBe('acme/chat');
    expect(resolved?.requestedId).toBe(id);
    expect(resolved?.variant).toBe(variant);
    expect(resolved?.dynamic).toBe(dynamic);
  });

  it('keeps a colon that belongs to the model id', () => {
    expect(index.resolveModel('acme/v:beta')?.model.id).toBe('acme/v:beta');
    expect(index.resolveModel('acme/v:beta:free')).toMatchObject({ variant: 'free', model: { id: 'acme/v:beta' } });
  });

  it('resolves ~aliases through the snapshot, with variants', () => {
    expect(index.resolveModel('~acme/chat-latest')).toMatchObject({ model: { id: 'acme/chat-2' }, viaAlias: '~acme/chat-latest', variant: 'standard' });
    expect(index.resolveModel('~ACME/chat-latest:nitro')).toMatchObject({ model: { id: 'acme/chat-2' }, dynamic: 'nitro' });
  });

  it.each(['acme/nope', 'acme/old', 'acme/chat:weird', 'acme/chat:free:extended', 'acme/chat:nitro:floor', '~acme/unknown-latest', 'chat', ''])(
    'does not resolve %j',
    (id) => {
      expect(index.resolveModel(id)).toBeUndefined();
    },
  );
});
