import { chatRequestSchema, toCanonicalChatRequest } from '@switchyard/llm-spec';
import { getAdapter } from '../registry.js';
import { defaultAzureApiVersion } from './azure-adapter.js';

const request = toCanonicalChatRequest(
  chatRequestSchema.parse({
    model: 'openai/gpt-4o',
    stream: true,
    max_tokens: 300,
    reasoning: { effort: 'minimal' },
    messages: [
      { role: 'developer', content: 'Be brief.' },
      { role: 'user', content: 'Hi' },
    ],
  }),
);

describe('Azure OpenAI', () => {
  const azure = getAdapter('azure');

  it('targets the deployment with the api-version and authenticates with api-key', () => {
    const result = azure.buildRequest(request, { baseUrl: 'https://acme.openai.azure.com/', upstreamModelId: 'gpt-4o prod', apiKey: 'azure-key' });
    expect(result.request.url).toBe(`https://acme.openai.azure.com/openai/deployments/gpt-4o%20prod/chat/completions?api-version=${defaultAzureApiVersion}`);
    expect(result.request.headers).toEqual({ 'content-type': 'application/json', 'api-key': 'azure-key', accept: 'text/event-stream' });
    expect(azure).toMatchObject({ id: 'azure', wireFormat: 'azure' });
  });

  it('accepts a base URL that already ends in /openai, and an api-version override', () => {
    const result = azure.buildRequest(request, { baseUrl: 'https://acme.openai.azure.com/openai', upstreamModelId: 'gpt4o', apiKey: 'k', apiVersion: '2025-04-01-preview' });
    expect(result.request.url).toBe('https://acme.openai.azure.com/openai/deployments/gpt4o/chat/completions?api-version=2025-04-01-preview');
  });

  it('sends the OpenAI body without a model (the deployment names it)', () => {
    const azureBody = JSON.parse(azure.buildRequest(request, { baseUrl: 'https://acme.openai.azure.com', upstreamModelId: 'gpt4o', apiKey: 'k' }).request.body);
    expect(azureBody).toEqual({
      messages: [
        { role: 'developer', content: 'Be brief.' },
        { role: 'user', content: 'Hi' },
      ],
      max_completion_tokens: 300,
      reasoning_effort: 'low',
      stream: true,
      stream_options: { include_usage: true },
    });
  });

  it('needs the resource base URL from the catalog', () => {
    expect(() => azure.buildRequest(request, { baseUrl: '', upstreamModelId: 'gpt4o', apiKey: 'k' })).toThrow(/base URL/);
  });
});
