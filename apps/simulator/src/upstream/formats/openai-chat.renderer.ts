import { contentText, type GenerationPlan, type PlanUsage } from '../../generation/generation-plan.js';
import { frame, jsonPieces, sseData, wordPieces, type Frame } from '../frames.js';

export interface OpenAiRenderContext {
  id: string;
  created: number;
  model: string;
  chunkCount: number;
  includeUsage: boolean;
  /** Azure OpenAI: content-filter results on the prompt and on each choice. */
  azure: boolean;
}

/** The `format` of the simulator's reasoning_details entries (OpenRouter's reasoning replay shape). */
export const REASONING_FORMAT = 'switchyard-simulator-v1';

const FINGERPRINT = 'fp_switchyard_sim';

const SAFE = { filtered: false, severity: 'safe' };
const CONTENT_FILTER_RESULTS = { hate: SAFE, self_harm: SAFE, sexual: SAFE, violence: SAFE };
const PROMPT_FILTER_RESULTS = [{ prompt_index: 0, content_filter_results: { ...CONTENT_FILTER_RESULTS, jailbreak: { filtered: false, detected: false } } }];

export function openAiUsage(usage: PlanUsage): Record<string, unknown> {
  return {
    prompt_tokens: usage.promptTokens,
    completion_tokens: usage.completionTokens,
    total_tokens: usage.promptTokens + usage.completionTokens,
    prompt_tokens_details: { cached_tokens: usage.cachedTokens, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: usage.reasoningTokens, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
  };
}

function toolCallId(suffix: string): string {
  return `call_${suffix}`;
}

/** A non-streamed `chat.completion`. */
export function renderOpenAiChat(plan: GenerationPlan, context: OpenAiRenderContext): string {
  const message: Record<string, unknown> = { role: 'assistant', content: plan.content.type === 'tool_calls' ? null : contentText(plan), refusal: null, annotations: [] };
  if (plan.reasoning) {
    message.reasoning = plan.reasoning.text;
    message.reasoning_details = [{ type: 'reasoning.text', text: plan.reasoning.text, signature: plan.reasoning.signature, format: REASONING_FORMAT, index: 0 }];
  }
  if (plan.content.type === 'tool_calls') {
    message.tool_calls = plan.content.calls.map((call) => ({ id: toolCallId(call.idSuffix), type: 'function', function: { name: call.name, arguments: call.arguments } }));
  }
  const choice: Record<string, unknown> = { index: 0, message, logprobs: null, finish_reason: plan.finish };
  if (context.azure) choice.content_filter_results = CONTENT_FILTER_RESULTS;
  const body: Record<string, unknown> = {
    id: context.id,
    object: 'chat.completion',
    created: context.created,
    model: context.model,
    choices: [choice],
    usage: openAiUsage(plan.usage),
    service_tier: 'default',
    system_fingerprint: FINGERPRINT,
  };
  if (context.azure) body.prompt_filter_results = PROMPT_FILTER_RESULTS;
  return JSON.stringify(body);
}

/** A streamed answer: role chunk, reasoning, content or tool-call argument pieces, finish chunk, usage chunk, [DONE]. */
export function streamOpenAiChat(plan: GenerationPlan, context: OpenAiRenderContext): Frame[] {
  const frames: Frame[] = [];
  const chunk = (delta: Record<string, unknown>, finishReason: string | null = null): string => {
    const choice: Record<string, unknown> = { index: 0, delta, logprobs: null, finish_reason: finishReason };
    if (context.azure) choice.content_filter_results = CONTENT_FILTER_RESULTS;
    const payload: Record<string, unknown> = {
      id: context.id,
      object: 'chat.completion.chunk',
      created: context.created,
      model: context.model,
      service_tier: 'default',
      system_fingerprint: FINGERPRINT,
      choices: [choice],
    };
    if (context.includeUsage) payload.usage = null;
    return sseData(payload);
  };

  if (context.azure) {
    frames.push(frame(sseData({ choices: [], created: 0, id: '', model: '', object: '', prompt_filter_results: PROMPT_FILTER_RESULTS })));
  }
  frames.push(frame(chunk({ role: 'assistant', content: '', refusal: null })));
  if (plan.reasoning) {
    for (const piece of wordPieces(plan.reasoning.words, context.chunkCount)) {
      frames.push(frame(chunk({ reasoning: piece.text, reasoning_details: [{ type: 'reasoning.text', text: piece.text, format: REASONING_FORMAT, index: 0 }] }), piece.tokens, piece.tokens));
    }
    frames.push(frame(chunk({ reasoning: '', reasoning_details: [{ type: 'reasoning.text', signature: plan.reasoning.signature, format: REASONING_FORMAT, index: 0 }] })));
  }
  const content = plan.content;
  if (content.type === 'tool_calls') {
    for (const [index, call] of content.calls.entries()) {
      frames.push(frame(chunk({ tool_calls: [{ index, id: toolCallId(call.idSuffix), type: 'function', function: { name: call.name, arguments: '' } }] })));
      for (const piece of jsonPieces(call.arguments, context.chunkCount)) {
        frames.push(frame(chunk({ tool_calls: [{ index, function: { arguments: piece.text } }] }), piece.tokens));
      }
    }
  } else {
    const pieces = content.type === 'text' ? wordPieces(content.words, context.chunkCount) : jsonPieces(content.text, context.chunkCount);
    for (const piece of pieces) frames.push(frame(chunk({ content: piece.text }), piece.tokens));
  }
  frames.push(frame(chunk({}, plan.finish)));
  if (context.includeUsage) {
    frames.push(
      frame(
        sseData({
          id: context.id,
          object: 'chat.completion.chunk',
          created: context.created,
          model: context.model,
          service_tier: 'default',
          system_fingerprint: FINGERPRINT,
          choices: [],
          usage: openAiUsage(plan.usage),
        }),
        0,
        0,
        true,
      ),
    );
  }
  frames.push(frame('data: [DONE]\n\n'));
  return frames;
}
