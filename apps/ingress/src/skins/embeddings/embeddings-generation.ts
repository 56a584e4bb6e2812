import { BadRequestError } from '@switchyard/contracts';
import { estimateTokens, type Usage } from '@switchyard/llm-spec';
import type { Charge } from '@switchyard/money';
import type { Embedding } from '@switchyard/nest-kit';
import { renderUnaryUsage, unaryRouting, type UnaryGeneration, type UnaryIdentity } from '../unary/unary-generation.service.js';
import type { EmbeddingsRequest } from './embeddings-request.schema.js';

/** Prompt-token estimate of each input: about four characters a token, one per token id (as providers estimate). */
export function inputTokenEstimates(input: readonly string[] | readonly (readonly number[])[]): number[] {
  return input.map((item) => (typeof item === 'string' ? estimateTokens(item) : item.length));
}

/**
 * An embeddings request as the unary service runs it: every input's tokens admitted, the longest input against
 * each endpoint's context, token-id inputs routed around Gemini (text only), and only the inputs logged (embeddings
 * are numbers, not content worth logging).
 */
export function embeddingsGeneration(embeddings: EmbeddingsRequest): UnaryGeneration {
  const estimates = inputTokenEstimates(embeddings.input);
  const tokenInputs = typeof embeddings.input[0] !== 'string';
  return {
    api: 'embeddings',
    ...unaryRouting(embeddings),
    promptTokens: estimates.reduce((sum, tokens) => sum + tokens, 0),
    contextTokens: Math.max(...estimates),
    requests: 1,
    call: {
      input: embeddings.input,
      encodingFormat: embeddings.encodingFormat,
      ...(embeddings.dimensions !== undefined ? { dimensions: embeddings.dimensions } : {}),
      ...(embeddings.inputType !== undefined ? { inputType: embeddings.inputType } : {}),
    },
    routable: (attempts) => {
      if (!tokenInputs) return attempts;
      // Token-id inputs cannot be sent to Gemini: route around those endpoints instead of failing on them.
      const routable = attempts.filter((attempt) => attempt.provider.wireFormat !== 'gemini');
      if (routable.length === 0) {
        throw new BadRequestError(`Invalid request: input: the providers of ${embeddings.model} take text inputs only, not token ids: send the text instead`, { issues: [{ path: 'input', message: 'token-id inputs are not supported by this model' }] });
      }
      return routable;
    },
    render: (identity, answer, charge, isByok) => renderEmbeddingsResponse(identity, answer.embeddings, answer.usage, charge, isByok),
    content: () => ({ input: embeddings.input, output: null }),
    attributes: { 'switchyard.inputs': embeddings.input.length },
  };
}

/**
 * `POST /api/v1/embeddings` answer (reference §10.3), the shape the `openai` SDK parses: a list of embeddings in
 * input order, each as numbers or base64 as the client asked.
 */
export function renderEmbeddingsResponse(identity: UnaryIdentity, embeddings: readonly Embedding[], usage: Usage, charge: Charge, isByok: boolean): Record<string, unknown> {
  return {
    id: identity.id,
    object: 'list',
    model: identity.model,
    provider: identity.provider,
    data: embeddings.map((embedding, index) => ({ object: 'embedding', embedding, index })),
    usage: renderUnaryUsage(usage, charge, isByok),
  };
}
