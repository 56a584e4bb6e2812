import { openAiCompatiblePresets } from '../openai-compatible/openai-compatible-presets.js';
import { RerankApiAdapter, type RerankDialectName } from './rerank-adapter.js';
import type { RerankAdapter } from './rerank-types.js';

/**
 * The OpenAI-compatible presets whose host has a rerank API, and which one. An allow-list: OpenAI itself has none,
 * and DeepInfra's rerankers take `{queries, documents}` at `/v1/inference/{model}` (not the `/rerank` shape).
 */
export const rerankPresets: Readonly<Record<string, RerankDialectName>> = Object.freeze({
  together: 'v1',
  simulator: 'v1',
  cohere: 'cohere-v2',
});

const adapters = new Map<string, RerankAdapter>();

/**
 * The rerank adapter of a catalog provider's wire format and OpenAI-compatible preset ("openai" when absent), shared
 * per key. Throws when that provider has no rerank API, and for an unknown wire format or preset.
 */
export function getRerankAdapter(wireFormat: string, preset?: string): RerankAdapter {
  const key = wireFormat === 'openai' ? `openai:${preset ?? 'openai'}` : wireFormat;
  const cached = adapters.get(key);
  if (cached) return cached;
  const adapter = createRerankAdapter(wireFormat, preset ?? 'openai');
  adapters.set(key, adapter);
  return adapter;
}

function createRerankAdapter(wireFormat: string, presetName: string): RerankAdapter {
  switch (wireFormat) {
    case 'openai': {
      const preset = Object.hasOwn(openAiCompatiblePresets, presetName) ? openAiCompatiblePresets[presetName] : undefined;
      if (!preset) throw new Error(`unknown OpenAI-compatible preset "${presetName}" (known: ${Object.keys(openAiCompatiblePresets).join(', ')})`);
      const dialect = Object.hasOwn(rerankPresets, presetName) ? rerankPresets[presetName] : undefined;
      if (!dialect) throw new Error(`${preset.displayName} (preset "${presetName}") has no rerank endpoint (rerank presets: ${Object.keys(rerankPresets).join(', ')})`);
      return new RerankApiAdapter(dialect === 'cohere-v2' ? 'cohere' : `openai-compatible:${presetName}`, preset, dialect);
    }
    case 'anthropic':
      throw new Error('the Anthropic API has no rerank endpoint');
    case 'gemini':
      throw new Error('the Gemini API has no rerank endpoint');
    case 'azure':
      throw new Error('Azure OpenAI has no rerank endpoint');
    default:
      throw new Error(`unknown wire format "${wireFormat}" (known: openai, anthropic, gemini, azure)`);
  }
}
