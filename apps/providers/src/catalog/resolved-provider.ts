import { getAdapter, type ProviderAdapter } from '@switchyard/adapters';
import type { CatalogProvider } from '@switchyard/llm-spec';
import { upstreamOrigin } from '../upstream/upstream-target.js';

/** A catalog provider made ready for the hot path: adapter chosen and origin pinned once per catalog version. */
export interface ResolvedProvider {
  slug: string;
  name: string;
  active: boolean;
  wireFormat: CatalogProvider['wireFormat'];
  /** OpenAI-compatible preset actually used (after a fallback). */
  preset: string | undefined;
  baseUrl: string;
  /** Azure `api-version` / `anthropic-version` from the catalog; undefined: the adapter's default. */
  apiVersion: string | undefined;
  /** The only origin this provider's calls may go to; null when the base URL is unusable. */
  origin: string | null;
  adapter: ProviderAdapter | null;
  /** Why the provider cannot be called (bad base URL, unknown wire format); null when it can. */
  problem: string | null;
  /** A Switchyard simulator upstream, which needs no real key. */
  simulator: boolean;
}

/** Simulated providers: the `simulator` slug (and its `simulator-*` siblings) or the `simulator` preset. */
export function isSimulatorProvider(provider: Pick<CatalogProvider, 'slug' | 'adapter'>): boolean {
  return provider.slug === 'simulator' || provider.slug.startsWith('simulator-') || provider.adapter === 'simulator';
}

/**
 * Resolves every catalog provider. An OpenAI-wire provider whose preset the adapters package does not know is
 * served with the generic `openai` preset (reported through `warn`), as the catalog seed expects.
 */
export function resolveProviders(providers: readonly CatalogProvider[], warn: (message: string) => void): Map<string, ResolvedProvider> {
  const resolved = new Map<string, ResolvedProvider>();
  for (const provider of providers) {
    let adapter: ProviderAdapter | null = null;
    let preset = provider.wireFormat === 'openai' ? (provider.adapter ?? 'openai') : provider.adapter;
    let problem: string | null = null;
    try {
      adapter = getAdapter(provider.wireFormat, preset);
    } catch (error) {
      if (provider.wireFormat === 'openai') {
        warn(`provider ${provider.slug}: ${(error as Error).message}; using the generic "openai" preset`);
        preset = 'openai';
        adapter = getAdapter('openai', 'openai');
      } else {
        problem = (error as Error).message;
      }
    }
    const origin = upstreamOrigin(provider.baseUrl);
    if ('problem' in origin) problem ??= origin.problem;
    resolved.set(provider.slug, {
      slug: provider.slug,
      name: provider.name,
      active: provider.status === 'active',
      wireFormat: provider.wireFormat,
      preset,
      baseUrl: provider.baseUrl,
      apiVersion: provider.apiVersion,
      origin: 'origin' in origin ? origin.origin : null,
      adapter: problem === null ? adapter : null,
      problem,
      simulator: isSimulatorProvider(provider),
    });
  }
  return resolved;
}
