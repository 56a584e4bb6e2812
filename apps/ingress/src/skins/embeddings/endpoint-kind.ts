import { AvailabilityError } from '@switchyard/contracts';
import { isEmbeddingModel, type CatalogModel } from '@switchyard/llm-spec';
import type { CatalogIndex } from '@switchyard/routing-policy';

/** Which public endpoint family a model serves: embeddings, or generation (chat, messages, responses, completions). */
export type EndpointKind = 'embeddings' | 'chat';

/** A model the generation endpoints can serve: it outputs something other than embeddings (text, image, audio). */
export function isGenerationModel(model: CatalogModel): boolean {
  return model.outputModalities.some((modality) => modality !== 'embeddings');
}

/**
 * OpenRouter's `wrong_endpoint` (reference §9.5: 400, invalid_request, not retryable) for the first requested model
 * (primary or `models` fallback) that exists but is of the other kind: an embedding model on a generation endpoint,
 * a chat model on `/embeddings`. Unknown ids are left to the planner (`model_not_found`).
 */
export function wrongEndpointError(index: CatalogIndex, requestedModels: readonly string[], kind: EndpointKind): AvailabilityError | undefined {
  for (const requested of requestedModels) {
    const resolved = index.resolveModel(requested);
    if (!resolved) continue;
    const model = resolved.model;
    const fits = kind === 'embeddings' ? isEmbeddingModel(model) : isGenerationModel(model);
    if (fits) continue;
    const message =
      kind === 'embeddings'
        ? `Model "${requested}" does not produce embeddings: use POST /api/v1/chat/completions for it, or pick an embedding model from GET /api/v1/embeddings/models`
        : `Model "${requested}" is an embedding model: use POST /api/v1/embeddings for it (GET /api/v1/embeddings/models lists them)`;
    return new AvailabilityError(400, 'wrong_endpoint', message, { requested_models: [...requestedModels], constraint: { field: 'model', detail: `${model.id} outputs ${model.outputModalities.join(', ')}` } });
  }
  return undefined;
}
