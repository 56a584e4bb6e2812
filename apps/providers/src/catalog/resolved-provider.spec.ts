import { catalogProviderSchema, type CatalogProvider } from '@switchyard/llm-spec';
import { resolveProviders } from './resolved-provider.js';

function provider(input: Partial<CatalogProvider> & Pick<CatalogProvider, 'slug' | 'wireFormat' | 'baseUrl'>): CatalogProvider {
  return catalogProviderSchema.parse({ name: input.slug, dataPolicy: { training: false, retainsPrompts: false, zdr: false }, ...input });
}

describe('resolveProviders', () => {
  it('chooses each adapter and pins each origin once', () => {
    const warnings: string[] = [];
    const resolved = resolveProviders(
      [
        provider({ slug: 'groq', wireFormat: 'openai', adapter: 'groq', baseUrl: 'https://api.groq.com/openai/v1' }),
        provider({ slug: 'anthropic', wireFormat: 'anthropic', baseUrl: 'https://api.anthropic.com/v1' }),
        provider({ slug: 'simulator', wireFormat: 'openai', adapter: 'simulator', baseUrl: 'http://127.0.0.1:8090/openai/v1', status: 'disabled' }),
      ],
      (message) => warnings.push(message),
    );
    expect(resolved.get('groq')).toMatchObject({ origin: 'https://api.groq.com', preset: 'groq', active: true, simulator: false, problem: null });
    expect(resolved.get('groq')!.adapter!.id).toBe('openai-compatible:groq');
    expect(resolved.get('anthropic')!.adapter!.id).toBe('anthropic');
    expect(resolved.get('simulator')).toMatchObject({ simulator: true, active: false });
    expect(warnings).toEqual([]);
  });

  it('serves an OpenAI-wire provider without a preset through the generic openai preset, with a warning', () => {
    const warnings: string[] = [];
    const resolved = resolveProviders([provider({ slug: 'acme-ai', wireFormat: 'openai', adapter: 'acme-ai', baseUrl: 'https://api.acme.example/v1' })], (message) => warnings.push(message));
    expect(resolved.get('acme-ai')).toMatchObject({ preset: 'openai', problem: null });
    expect(warnings).toHaveLength(1);
  });

  it('marks a provider with an unusable base URL as not callable', () => {
    const resolved = resolveProviders([provider({ slug: 'bad', wireFormat: 'openai', baseUrl: 'ftp://files.example.com/v1' })], () => undefined);
    expect(resolved.get('bad')).toMatchObject({ adapter: null, origin: null, problem: expect.stringContaining('not http(s)') });
  });
});
