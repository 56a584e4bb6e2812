import { AvailabilityError } from '@switchyard/contracts';
import { catalogSnapshotSchema, type CatalogSnapshotInput } from '@switchyard/llm-spec';
import { CatalogIndex } from '@switchyard/routing-policy';
import { fixtureSnapshot } from '../../models/models.fixture.js';
import type { CatalogStateService } from '../../state/catalog-state.service.js';
import { EmbeddingsController } from './embeddings.controller.js';
import { wrongEndpointError } from './endpoint-kind.js';

const embedder = {
  id: 'openai/text-embedding-3-small',
  canonicalSlug: 'openai/text-embedding-3-small',
  name: 'OpenAI: Text Embedding 3 Small',
  created: 1706140800,
  contextLength: 8192,
  inputModalities: ['text'],
  outputModalities: ['embeddings'],
  tokenizer: 'GPT',
};

const reranker = { ...embedder, id: 'cohere/rerank-v3.5', canonicalSlug: 'cohere/rerank-v3.5', name: 'Cohere: Rerank 3.5', contextLength: 4096, outputModalities: ['rerank'], tokenizer: 'Cohere' };

const snapshot: CatalogSnapshotInput = {
  ...fixtureSnapshot,
  models: [...fixtureSnapshot.models, embedder, reranker],
  endpoints: [
    ...fixtureSnapshot.endpoints,
    {
      id: 'openai/text-embedding-3-small@openai',
      modelId: 'openai/text-embedding-3-small',
      providerSlug: 'openai',
      tag: 'openai',
      upstreamModelId: 'text-embedding-3-small',
      pricing: { prompt: '0.00000002', completion: '0' },
      contextLength: 8192,
      maxPromptTokens: 8192,
    },
  ],
  aliases: { ...fixtureSnapshot.aliases, '~openai/embedding-latest': 'openai/text-embedding-3-small' },
};

const index = CatalogIndex.build(catalogSnapshotSchema.parse(snapshot));

describe('wrong_endpoint', () => {
  it('refuses a chat model on /embeddings with a 400 naming the model and where to go', () => {
    const error = wrongEndpointError(index, ['openai/gpt-5'], 'embeddings');
    expect(error).toBeInstanceOf(AvailabilityError);
    expect(error?.toEnvelope()).toMatchObject({
      error: {
        code: 400,
        message: expect.stringContaining('"openai/gpt-5" does not produce embeddings'),
        metadata: { error_type: 'invalid_request', availability_code: 'wrong_endpoint', availability: { code: 'wrong_endpoint', retryable: false, requested_models: ['openai/gpt-5'] } },
      },
    });
  });

  it('refuses an embedding model (also through an alias or a fallback) on the generation endpoints', () => {
    expect(wrongEndpointError(index, ['openai/text-embedding-3-small'], 'chat')?.message).toContain('is an embedding model: use POST /api/v1/embeddings');
    expect(wrongEndpointError(index, ['~openai/embedding-latest'], 'chat')).toBeDefined();
    expect(wrongEndpointError(index, ['openai/gpt-5', 'openai/text-embedding-3-small'], 'chat')?.message).toContain('"openai/text-embedding-3-small"');
  });

  it('keeps rerank models on /rerank: refused on the generation endpoints and /embeddings, and chat or embedding models refused on /rerank', () => {
    expect(wrongEndpointError(index, ['cohere/rerank-v3.5'], 'chat')?.message).toContain('is a rerank model: use POST /api/v1/rerank');
    expect(wrongEndpointError(index, ['cohere/rerank-v3.5'], 'embeddings')?.message).toContain('"cohere/rerank-v3.5" does not produce embeddings: use POST /api/v1/rerank');
    expect(wrongEndpointError(index, ['openai/gpt-5'], 'rerank')?.message).toContain('"openai/gpt-5" does not rerank documents: use POST /api/v1/chat/completions');
    expect(wrongEndpointError(index, ['cohere/rerank-v3.5', 'openai/text-embedding-3-small'], 'rerank')?.message).toContain('use POST /api/v1/embeddings');
    expect(wrongEndpointError(index, ['cohere/rerank-v3.5'], 'rerank')).toBeUndefined();
  });

  it('lets each kind through, image models count as generation, and unknown ids are left to the planner', () => {
    expect(wrongEndpointError(index, ['openai/text-embedding-3-small', '~openai/embedding-latest'], 'embeddings')).toBeUndefined();
    expect(wrongEndpointError(index, ['openai/gpt-5', 'google/imagen-lite'], 'chat')).toBeUndefined();
    expect(wrongEndpointError(index, ['nobody/nothing'], 'chat')).toBeUndefined();
    expect(wrongEndpointError(index, ['nobody/nothing'], 'embeddings')).toBeUndefined();
  });
});

describe('GET /api/v1/embeddings/models', () => {
  const controller = new EmbeddingsController({} as never, {} as never, { index, routingTable: { version: 0, generatedAt: '', endpoints: {} } } as unknown as CatalogStateService);

  it('lists exactly the embedding models (and their aliases, as /models does) in the OpenRouter Model shape, whatever output_modalities is asked', () => {
    const listed = controller.models({ output_modalities: 'text' });
    expect(listed.data.map((model) => model.id)).toEqual(['openai/text-embedding-3-small', '~openai/embedding-latest']);
    expect(listed.total_count).toBe(2);
    expect(listed.data[0]).toMatchObject({
      id: 'openai/text-embedding-3-small',
      canonical_slug: 'openai/text-embedding-3-small',
      architecture: { input_modalities: ['text'], output_modalities: ['embeddings'], tokenizer: 'GPT' },
      pricing: { prompt: '0.00000002', completion: '0' },
      context_length: 8192,
      links: { details: '/api/v1/models/openai/text-embedding-3-small/endpoints' },
    });
  });

  it('takes the /models query parameters (search, pagination)', () => {
    expect(controller.models({ q: 'gpt' }).data).toEqual([]);
    expect(controller.models({ limit: '1', offset: '0' }).data).toHaveLength(1);
  });
});
