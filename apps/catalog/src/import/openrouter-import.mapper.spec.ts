import { catalogModelSchema } from '@switchyard/llm-spec';
import { mapOpenRouterModels, parseModality } from './openrouter-import.mapper.js';

/** Shaped like real entries of OpenRouter's GET /api/v1/models. */
const gpt4oMini = {
  id: 'openai/gpt-4o-mini',
  canonical_slug: 'openai/gpt-4o-mini-2024-07-18',
  hugging_face_id: '',
  name: 'OpenAI: GPT-4o-mini',
  created: 1721260800,
  description: 'GPT-4o mini is OpenAI’s newest model after GPT-4 Omni.',
  context_length: 128000,
  architecture: { modality: 'text+image->text', input_modalities: ['text', 'image', 'file'], output_modalities: ['text'], tokenizer: 'GPT', instruct_type: null },
  pricing: { prompt: '0.00000015', completion: '0.0000006', request: '0', image: '0.000217', web_search: '0', internal_reasoning: '0', input_cache_read: '0.000000075' },
  top_provider: { context_length: 128000, max_completion_tokens: 16384, is_moderated: true },
  per_request_limits: null,
  supported_parameters: ['max_tokens', 'temperature', 'tools', 'tool_choice', 'response_format', 'seed'],
  default_parameters: {},
};
const deepseekR1 = {
  id: 'deepseek/deepseek-r1',
  canonical_slug: 'deepseek/deepseek-r1',
  hugging_face_id: 'deepseek-ai/DeepSeek-R1',
  name: 'DeepSeek: R1',
  created: 1737381095,
  description: 'DeepSeek R1.',
  context_length: 163840,
  architecture: { modality: 'text->text', input_modalities: ['text'], output_modalities: ['text'], tokenizer: 'DeepSeek', instruct_type: 'deepseek-r1' },
  pricing: { prompt: '0.0000004', completion: '0.000002', discount: 0 },
  top_provider: { context_length: 163840, max_completion_tokens: null, is_moderated: false },
  supported_parameters: ['reasoning', 'include_reasoning', 'max_tokens', 'temperature'],
  reasoning: { supported_efforts: null, default_effort: null, default_enabled: true, supports_max_tokens: true, mandatory: true },
  default_parameters: { temperature: 0.6, top_p: 0.95, frequency_penalty: null },
  knowledge_cutoff: '2024-07-31',
};
const llamaFree = {
  id: 'meta-llama/llama-3.3-70b-instruct:free',
  canonical_slug: 'meta-llama/llama-3.3-70b-instruct',
  name: 'Meta: Llama 3.3 70B Instruct (free)',
  created: 1733506137,
  context_length: 65536,
  architecture: { modality: 'text->text', tokenizer: 'Llama3', instruct_type: 'llama3' },
  pricing: { prompt: '0', completion: '0' },
  top_provider: { context_length: 65536, max_completion_tokens: null, is_moderated: false },
  supported_parameters: ['max_tokens', 'temperature'],
};

describe('mapOpenRouterModels', () => {
  it('maps an OpenRouter model to a catalog model and one endpoint of the provider', () => {
    const mapped = mapOpenRouterModels([gpt4oMini], { provider: 'openrouter' });
    expect(mapped.skipped).toEqual([]);
    expect(mapped.models).toEqual([
      {
        id: 'openai/gpt-4o-mini',
        canonicalSlug: 'openai/gpt-4o-mini-2024-07-18',
        huggingFaceId: null,
        name: 'OpenAI: GPT-4o-mini',
        description: 'GPT-4o mini is OpenAI’s newest model after GPT-4 Omni.',
        created: 1721260800,
        contextLength: 128000,
        inputModalities: ['text', 'image', 'file'],
        outputModalities: ['text'],
        tokenizer: 'GPT',
        instructType: null,
        reasoning: null,
        knowledgeCutoff: null,
        expirationDate: null,
        defaultParameters: null,
        status: 'active',
      },
    ]);
    expect(catalogModelSchema.safeParse(mapped.models[0]).success).toBe(true);
    expect(mapped.endpoints).toEqual([
      {
        id: 'openai/gpt-4o-mini@openrouter',
        modelId: 'openai/gpt-4o-mini',
        providerSlug: 'openrouter',
        tag: 'openrouter',
        variant: 'standard',
        upstreamModelId: 'openai/gpt-4o-mini',
        // zero optional prices and prices the catalog has no field for (web_search) are left out
        pricing: { prompt: '0.00000015', completion: '0.0000006', image: '0.000217', input_cache_read: '0.000000075' },
        contextLength: 128000,
        maxCompletionTokens: 16384,
        supportedParameters: ['max_tokens', 'temperature', 'tools', 'tool_choice', 'response_format', 'seed'],
      },
    ]);
  });

  it('keeps reasoning capabilities, numeric default parameters and the knowledge cutoff', () => {
    const [model] = mapOpenRouterModels([deepseekR1], { provider: 'deepseek' }).models;
    expect(model).toMatchObject({
      huggingFaceId: 'deepseek-ai/DeepSeek-R1',
      instructType: 'deepseek-r1',
      reasoning: { supportedEfforts: null, defaultEffort: null, defaultEnabled: true, supportsMaxTokens: true, mandatory: true },
      defaultParameters: { temperature: 0.6, top_p: 0.95, frequency_penalty: null },
      knowledgeCutoff: '2024-07-31',
    });
  });

  it('turns a :free id into a free endpoint of the base model, named without "(free)"', () => {
    const mapped = mapOpenRouterModels([llamaFree], { provider: 'openrouter' });
    expect(mapped.models.map((model) => [model.id, model.name, model.inputModalities])).toEqual([['meta-llama/llama-3.3-70b-instruct', 'Meta: Llama 3.3 70B Instruct', ['text']]]);
    expect(mapped.endpoints[0]).toMatchObject({ id: 'meta-llama/llama-3.3-70b-instruct@openrouter/free', tag: 'openrouter/free', variant: 'free', upstreamModelId: 'meta-llama/llama-3.3-70b-instruct:free', pricing: { prompt: '0', completion: '0' } });
  });

  it('takes the model from the plain entry when the list has both it and a variant, in any order', () => {
    const paid = { ...llamaFree, id: 'meta-llama/llama-3.3-70b-instruct', name: 'Meta: Llama 3.3 70B Instruct', context_length: 131072, pricing: { prompt: '0.00000013', completion: '0.00000039' } };
    const mapped = mapOpenRouterModels([llamaFree, paid], { provider: 'openrouter' });
    expect(mapped.models).toHaveLength(1);
    expect(mapped.models[0]!.contextLength).toBe(131072);
    expect(mapped.endpoints.map((endpoint) => [endpoint.id, endpoint.contextLength])).toEqual([
      ['meta-llama/llama-3.3-70b-instruct@openrouter', 65536],
      ['meta-llama/llama-3.3-70b-instruct@openrouter/free', 65536],
    ]);
  });

  it('uses canonical_slug as the upstream model id when asked', () => {
    const [endpoint] = mapOpenRouterModels([gpt4oMini], { provider: 'acme', upstreamModelIdFrom: 'canonical_slug' }).endpoints;
    expect(endpoint!.upstreamModelId).toBe('openai/gpt-4o-mini-2024-07-18');
  });

  it('reads prices given as numbers or with exponents exactly', () => {
    const [endpoint] = mapOpenRouterModels([{ ...gpt4oMini, pricing: { prompt: 1.5e-7, completion: '6e-7', discount: 0.2 } }], { provider: 'acme' }).endpoints;
    expect(endpoint!.pricing).toEqual({ prompt: '0.00000015', completion: '0.0000006', discount: 0.2 });
  });

  it('skips what it cannot import, with a reason, and imports the rest', () => {
    const mapped = mapOpenRouterModels(
      [
        { id: 'openrouter/auto', name: 'Auto Router', context_length: 2000000, pricing: { prompt: '-1', completion: '-1' } },
        { id: 'acme/no-price', context_length: 1000, pricing: { completion: '0.1' } },
        { id: 'acme/bad-price', context_length: 1000, pricing: { prompt: 'cheap', completion: '0' } },
        { id: 'acme/no-context', pricing: { prompt: '0', completion: '0' } },
        { id: 'Not An Id', context_length: 10, pricing: { prompt: '0', completion: '0' } },
        { name: 'no id at all' },
        'not an object',
        gpt4oMini,
        gpt4oMini,
      ],
      { provider: 'acme' },
    );
    expect(mapped.models.map((model) => model.id)).toEqual(['openai/gpt-4o-mini']);
    expect(mapped.skipped).toEqual([
      { id: '#5', reason: expect.stringContaining('id') },
      { id: '#6', reason: expect.any(String) },
      { id: 'openrouter/auto', reason: expect.stringContaining('negative') },
      { id: 'acme/no-price', reason: 'pricing.prompt is missing' },
      { id: 'acme/bad-price', reason: expect.stringContaining('not a decimal') },
      { id: 'acme/no-context', reason: 'no context_length' },
      { id: 'Not An Id', reason: expect.stringContaining('id') },
      { id: 'openai/gpt-4o-mini', reason: expect.stringContaining('duplicate') },
    ]);
  });

  it('parses the legacy modality string', () => {
    expect(parseModality('text+image->text')).toEqual({ input: ['text', 'image'], output: ['text'] });
    expect(parseModality('text')).toBeUndefined();
    expect(parseModality(null)).toBeUndefined();
  });
});
