import { embeddingBase64, embeddingVector } from '../../generation/embeddings.js';
import type { GenerationPlan, PlanUsage } from '../../generation/generation-plan.js';
import { frame, sseData, wordPieces, type Frame } from '../frames.js';

export interface CompletionsRenderContext {
  id: string;
  created: number;
  model: string;
  chunkCount: number;
  includeUsage: boolean;
}

function completionsUsage(usage: PlanUsage): Record<string, unknown> {
  return { prompt_tokens: usage.promptTokens, completion_tokens: usage.completionTokens, total_tokens: usage.promptTokens + usage.completionTokens };
}

function planText(plan: GenerationPlan): string {
  return plan.content.type === 'text' ? plan.content.words.join(' ') : '';
}

/** A non-streamed `text_completion`, one choice per prompt. */
export function renderCompletions(plans: readonly GenerationPlan[], usage: PlanUsage, context: CompletionsRenderContext): string {
  return JSON.stringify({
    id: context.id,
    object: 'text_completion',
    created: context.created,
    model: context.model,
    choices: plans.map((plan, index) => ({ text: planText(plan), index, logprobs: null, finish_reason: plan.finish })),
    usage: completionsUsage(usage),
  });
}

/** A streamed `text_completion`: each choice's pieces, its finish chunk, then the usage chunk and [DONE]. */
export function streamCompletions(plans: readonly GenerationPlan[], usage: PlanUsage, context: CompletionsRenderContext): Frame[] {
  const chunk = (index: number, text: string, finishReason: string | null) =>
    sseData({ id: context.id, object: 'text_completion', created: context.created, model: context.model, choices: [{ text, index, logprobs: null, finish_reason: finishReason }] });
  const frames: Frame[] = [];
  for (const [index, plan] of plans.entries()) {
    const words = plan.content.type === 'text' ? plan.content.words : [];
    for (const piece of wordPieces(words, context.chunkCount)) frames.push(frame(chunk(index, piece.text, null), piece.tokens));
    frames.push(frame(chunk(index, '', plan.finish)));
  }
  if (context.includeUsage) {
    frames.push(frame(sseData({ id: context.id, object: 'text_completion', created: context.created, model: context.model, choices: [], usage: completionsUsage(usage) }), 0, 0, true));
  }
  frames.push(frame('data: [DONE]\n\n'));
  return frames;
}

/** OpenAI (and Azure) embeddings list. */
export function renderOpenAiEmbeddings(model: string, inputs: readonly string[], dimensions: number, base64: boolean, promptTokens: number): string {
  return JSON.stringify({
    object: 'list',
    data: inputs.map((input, index) => {
      const vector = embeddingVector(model, input, dimensions);
      return { object: 'embedding', index, embedding: base64 ? embeddingBase64(vector) : vector };
    }),
    model,
    usage: { prompt_tokens: promptTokens, total_tokens: promptTokens },
  });
}

/** GET /v1/models: the models the simulator knows by name (it answers any model id). */
export function renderOpenAiModels(models: readonly string[], created: number): string {
  return JSON.stringify({ object: 'list', data: models.map((id) => ({ id, object: 'model', created, owned_by: 'switchyard-simulator' })) });
}
