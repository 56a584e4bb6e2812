import { AvailabilityError } from '@switchyard/contracts';
import { isEmbeddingModel, isRerankModel, type CatalogModel } from '@switchyard/llm-spec';
import type { CatalogIndex } from '@switchyard/routing-policy';

/** Which public endpoint family a model serves: embeddings, rerank, or generation (chat, messages, responses, completions). */
export type EndpointKind = 'embeddings' | 'rerank' | 'chat';

/** A model the generation endpoints can serve: it outputs something other than embeddings or rerank scores (text, image, audio). */
export function isGenerationModel(model: CatalogModel): boolean {
  return model.outputModalities.some((modality) => modality !== 'embeddings' && modality !== 'rerank');
}

/** The endpoint a model of this kind is served on, for the error's advice. */
function endpointOf(model: CatalogModel): string {
  if (isEmbeddingModel(model)) return 'POST /api/v1/embeddings (GET /api/v1/embeddings/models lists them)';
  if (isRerankModel(model)) return 'POST /api/v1/rerank (GET /api/v1/models?output_modalities=rerank lists them)';
  return 'POST /api/v1/chat/completions';
}

const fitsKind: Record<EndpointKind, (model: CatalogModel) => boolean> = {
  embeddings: isEmbeddingModel,
  rerank: isRerankModel,
  chat: isGenerationModel,
};

const kindLabel: Record<EndpointKind, string> = { embeddings: 'produce embeddings', rerank: 'rerank documents', chat: 'generate text' };

/**
 * OpenRouter's `wrong_endpoint` (reference §9.5: 400, invalid_request, not retryable) for the first requested model
 * (primary or `models` fallback) that exists but is of another kind: an embedding or rerank model on a generation
 * endpoint, a chat model on `/embeddings` or `/rerank`. Unknown ids are left to the planner (`model_not_found`).
 */
export function wrongEndpointError(index: CatalogIndex, requestedModels: readonly string[], kind: EndpointKind): AvailabilityError | undefined {
  for (const requested of requestedModels) {
    const resolved = index.resolveModel(requested);
    if (!resolved) continue;
    const model = resolved.model;
    if (fitsKind[kind](model)) continue;
    const message =
      kind === 'chat'
        ? `Model "${requested}" is ${isEmbeddingModel(model) ? 'an embedding' : 'a rerank'} model: use ${endpointOf(model)} for it`
        : `Model "${requested}" does not ${kindLabel[kind]}: use ${endpointOf(model)} for it`;
    return new AvailabilityError(400, 'wrong_endpoint', message, { requested_models: [...requestedModels], constraint: { field: 'model', detail: `${model.id} outputs ${model.outputModalities.join(', ')}` } });
  }
  return undefined;
}
