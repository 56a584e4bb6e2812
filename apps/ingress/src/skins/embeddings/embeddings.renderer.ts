import type { Usage } from '@switchyard/llm-spec';
import { moneyToNumber, type Charge } from '@switchyard/money';
import type { Embedding } from '@switchyard/nest-kit';

export interface EmbeddingsResponseIdentity {
  /** The generation id (also `X-Generation-Id`). */
  id: string;
  /** The model that served ("openai/text-embedding-3-small"). */
  model: string;
  /** Provider display name ("OpenAI"). */
  provider: string;
}

/** OpenRouter's embeddings `usage`: prompt tokens (= total), `cost` charged, BYOK flag and the upstream cost details. */
export function renderEmbeddingsUsage(usage: Usage, charge: Charge, isByok: boolean): Record<string, unknown> {
  return {
    prompt_tokens: usage.promptTokens,
    total_tokens: usage.promptTokens,
    cost: moneyToNumber(charge.cost),
    is_byok: isByok,
    cost_details: {
      upstream_inference_cost: isByok ? moneyToNumber(charge.listCost) : null,
      upstream_inference_prompt_cost: moneyToNumber(charge.breakdown.prompt),
      upstream_inference_completions_cost: 0,
    },
  };
}

/**
 * `POST /api/v1/embeddings` answer (reference §10.3), the shape the `openai` SDK parses: a list of embeddings in
 * input order, each as numbers or base64 as the client asked.
 */
export function renderEmbeddingsResponse(identity: EmbeddingsResponseIdentity, embeddings: readonly Embedding[], usage: Usage, charge: Charge, isByok: boolean): Record<string, unknown> {
  return {
    id: identity.id,
    object: 'list',
    model: identity.model,
    provider: identity.provider,
    data: embeddings.map((embedding, index) => ({ object: 'embedding', embedding, index })),
    usage: renderEmbeddingsUsage(usage, charge, isByok),
  };
}
