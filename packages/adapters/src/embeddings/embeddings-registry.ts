import type { EmbeddingsAdapter } from './embeddings-types.js';
import { GeminiEmbeddingsAdapter } from './gemini-embeddings-adapter.js';
import { createAzureEmbeddingsAdapter, createOpenAiEmbeddingsAdapter } from './openai-embeddings-adapter.js';

const adapters = new Map<string, EmbeddingsAdapter>();

/**
 * The embeddings adapter of a catalog provider's wire format (and, for "openai", its preset; "openai" when absent),
 * shared per key. Throws for an unknown wire format or preset, and for Anthropic, which has no embeddings API.
 */
export function getEmbeddingsAdapter(wireFormat: string, preset?: string): EmbeddingsAdapter {
  const key = wireFormat === 'openai' ? `openai:${preset ?? 'openai'}` : wireFormat;
  const cached = adapters.get(key);
  if (cached) return cached;
  const adapter = createEmbeddingsAdapter(wireFormat, preset ?? 'openai');
  adapters.set(key, adapter);
  return adapter;
}

function createEmbeddingsAdapter(wireFormat: string, preset: string): EmbeddingsAdapter {
  switch (wireFormat) {
    case 'openai':
      return createOpenAiEmbeddingsAdapter(preset);
    case 'azure':
      return createAzureEmbeddingsAdapter();
    case 'gemini':
      return new GeminiEmbeddingsAdapter();
    case 'anthropic':
      throw new Error('the Anthropic API has no embeddings endpoint');
    default:
      throw new Error(`unknown wire format "${wireFormat}" (known: openai, anthropic, gemini, azure)`);
  }
}
