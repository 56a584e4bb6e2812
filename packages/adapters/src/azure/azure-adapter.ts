import { joinUrl } from '../shared/parameters.js';
import { OpenAiCompatibleAdapter } from '../openai-compatible/openai-compatible-adapter.js';
import { azurePreset } from '../openai-compatible/openai-compatible-presets.js';

/** The GA data-plane version used when the catalog names none. */
export const defaultAzureApiVersion = '2024-10-21';

/**
 * Azure OpenAI: the OpenAI wire (same transforms, same response and stream handling, including Azure's leading
 * `prompt_filter_results` chunk with no choices) at `{resource}/openai/deployments/{deployment}/chat/completions
 * ?api-version=…`, authenticated with `api-key`. The deployment is the catalog's upstream model id.
 */
export function createAzureAdapter(): OpenAiCompatibleAdapter {
  return new OpenAiCompatibleAdapter(azurePreset, {
    id: 'azure',
    wireFormat: 'azure',
    endpoint: {
      modelInBody: false,
      url: (context) => {
        if (!context.baseUrl) throw new Error('Azure OpenAI needs the resource base URL (https://{resource}.openai.azure.com) from the catalog');
        const base = context.baseUrl.replace(/\/+$/, '').replace(/\/openai$/, '');
        const path = `openai/deployments/${encodeURIComponent(context.upstreamModelId)}/chat/completions`;
        return `${joinUrl(base, path)}?api-version=${encodeURIComponent(context.apiVersion ?? defaultAzureApiVersion)}`;
      },
    },
  });
}
