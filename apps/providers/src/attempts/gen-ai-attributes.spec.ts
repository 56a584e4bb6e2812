import { makeUsage, type CanonicalChatRequest } from '@switchyard/llm-spec';
import { genAiRequestAttributes, genAiResponseAttributes, genAiUnaryRequestAttributes } from './gen-ai-attributes.js';

describe('OpenTelemetry GenAI attributes of an upstream chat call', () => {
  it('name the operation, provider and upstream model, and only the sampling parameters the request set', () => {
    const request: CanonicalChatRequest = { model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], stream: true, max_tokens: 64, temperature: 0, stop: '###' };
    expect(genAiRequestAttributes('openai', 'gpt-4o-mini', request)).toEqual({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.system': 'openai',
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.request.max_tokens': 64,
      'gen_ai.request.temperature': 0,
      'gen_ai.request.stop_sequences': ['###'],
    });
  });

  it('carry the response id and model, the finish reason and the token counts when known', () => {
    expect(genAiResponseAttributes({ metadata: { type: 'response-metadata', upstreamId: 'chatcmpl-1', upstreamModel: 'gpt-4o-mini-2024-07-18' }, finishReason: 'stop', usage: makeUsage({ promptTokens: 12, completionTokens: 3 }) })).toEqual({
      'gen_ai.response.id': 'chatcmpl-1',
      'gen_ai.response.model': 'gpt-4o-mini-2024-07-18',
      'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.usage.input_tokens': 12,
      'gen_ai.usage.output_tokens': 3,
    });
    expect(genAiResponseAttributes({ metadata: undefined, finishReason: null, usage: null })).toEqual({});
  });

  it('name an embeddings or rerank call by its operation', () => {
    expect(genAiUnaryRequestAttributes('cohere', 'rerank-v3.5', 'rerank')).toEqual({ 'gen_ai.operation.name': 'rerank', 'gen_ai.provider.name': 'cohere', 'gen_ai.system': 'cohere', 'gen_ai.request.model': 'rerank-v3.5' });
  });
});
