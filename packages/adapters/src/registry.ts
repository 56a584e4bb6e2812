import { AnthropicAdapter } from './anthropic/anthropic-adapter.js';
import { createAzureAdapter } from './azure/azure-adapter.js';
import { GeminiAdapter } from './gemini/gemini-adapter.js';
import { createOpenAiCompatibleAdapter } from './openai-compatible/openai-compatible-adapter.js';
import type { ProviderAdapter } from './types.js';

const adapters = new Map<string, ProviderAdapter>();

/**
 * The adapter for a catalog provider's wire format (and, for "openai", its preset; "openai" when absent). Adapters
 * are stateless, so one instance per key is shared. Throws for an unknown wire format or preset.
 */
export function getAdapter(wireFormat: string, preset?: string): ProviderAdapter {
  const key = wireFormat === 'openai' ? `openai:${preset ?? 'openai'}` : wireFormat;
  const cached = adapters.get(key);
  if (cached) return cached;
  const adapter = createAdapter(wireFormat, preset ?? 'openai');
  adapters.set(key, adapter);
  return adapter;
}

function createAdapter(wireFormat: string, preset: string): ProviderAdapter {
  switch (wireFormat) {
    case 'openai':
      return createOpenAiCompatibleAdapter(preset);
    case 'anthropic':
      return new AnthropicAdapter();
    case 'gemini':
      return new GeminiAdapter();
    case 'azure':
      return createAzureAdapter();
    default:
      throw new Error(`unknown wire format "${wireFormat}" (known: openai, anthropic, gemini, azure)`);
  }
}
