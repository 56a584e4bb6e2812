import { contentText, type GenerationPlan, type PlanUsage } from '../../generation/generation-plan.js';
import { frame, jsonPieces, sseEvent, wordPieces, type Frame } from '../frames.js';

export interface AnthropicRenderContext {
  id: string;
  model: string;
  chunkCount: number;
}

const STOP_REASONS = { stop: 'end_turn', length: 'max_tokens', tool_calls: 'tool_use' } as const;

export function anthropicUsage(usage: PlanUsage, outputTokens = usage.completionTokens): Record<string, unknown> {
  return {
    input_tokens: usage.promptTokens - usage.cachedTokens - usage.cacheWriteTokens,
    cache_creation_input_tokens: usage.cacheWriteTokens,
    cache_read_input_tokens: usage.cachedTokens,
    cache_creation: { ephemeral_5m_input_tokens: usage.cacheWriteTokens, ephemeral_1h_input_tokens: 0 },
    output_tokens: outputTokens,
    service_tier: 'standard',
  };
}

function toolUseId(suffix: string): string {
  return `toolu_01${suffix}`;
}

function parsedInput(argumentsText: string): unknown {
  try {
    return JSON.parse(argumentsText);
  } catch {
    // Cut by max_tokens: the block still carries an object, as the API's does.
    return {};
  }
}

/** A non-streamed Messages response. */
export function renderAnthropicMessage(plan: GenerationPlan, context: AnthropicRenderContext): string {
  const content: unknown[] = [];
  if (plan.reasoning) content.push({ type: 'thinking', thinking: plan.reasoning.text, signature: plan.reasoning.signature });
  if (plan.content.type === 'tool_calls') {
    for (const call of plan.content.calls) content.push({ type: 'tool_use', id: toolUseId(call.idSuffix), name: call.name, input: parsedInput(call.arguments) });
  } else {
    content.push({ type: 'text', text: contentText(plan) });
  }
  return JSON.stringify({
    id: context.id,
    type: 'message',
    role: 'assistant',
    model: context.model,
    content,
    stop_reason: STOP_REASONS[plan.finish],
    stop_sequence: null,
    usage: anthropicUsage(plan.usage),
  });
}

/** The Messages SSE sequence: message_start, ping, content blocks (thinking with signature, text or tool_use), message_delta, message_stop. */
export function streamAnthropicMessage(plan: GenerationPlan, context: AnthropicRenderContext): Frame[] {
  const frames: Frame[] = [];
  frames.push(
    frame(
      sseEvent('message_start', {
        type: 'message_start',
        message: {
          id: context.id,
          type: 'message',
          role: 'assistant',
          model: context.model,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: anthropicUsage(plan.usage, Math.min(1, plan.usage.completionTokens)),
        },
      }),
    ),
  );
  let index = 0;
  const start = (block: Record<string, unknown>) => {
    frames.push(frame(sseEvent('content_block_start', { type: 'content_block_start', index, content_block: block })));
    if (index === 0) frames.push(frame(sseEvent('ping', { type: 'ping' })));
  };
  const delta = (body: Record<string, unknown>, tokens = 0, reasoningTokens = 0) =>
    frames.push(frame(sseEvent('content_block_delta', { type: 'content_block_delta', index, delta: body }), tokens, reasoningTokens));
  const stop = () => {
    frames.push(frame(sseEvent('content_block_stop', { type: 'content_block_stop', index })));
    index++;
  };

  if (plan.reasoning) {
    start({ type: 'thinking', thinking: '', signature: '' });
    for (const piece of wordPieces(plan.reasoning.words, context.chunkCount)) delta({ type: 'thinking_delta', thinking: piece.text }, piece.tokens, piece.tokens);
    delta({ type: 'signature_delta', signature: plan.reasoning.signature });
    stop();
  }
  const content = plan.content;
  if (content.type === 'tool_calls') {
    for (const call of content.calls) {
      start({ type: 'tool_use', id: toolUseId(call.idSuffix), name: call.name, input: {} });
      delta({ type: 'input_json_delta', partial_json: '' });
      for (const piece of jsonPieces(call.arguments, context.chunkCount)) delta({ type: 'input_json_delta', partial_json: piece.text }, piece.tokens);
      stop();
    }
  } else {
    start({ type: 'text', text: '' });
    const pieces = content.type === 'text' ? wordPieces(content.words, context.chunkCount) : jsonPieces(content.text, context.chunkCount);
    for (const piece of pieces) delta({ type: 'text_delta', text: piece.text }, piece.tokens);
    stop();
  }
  frames.push(
    frame(
      sseEvent('message_delta', {
        type: 'message_delta',
        delta: { stop_reason: STOP_REASONS[plan.finish], stop_sequence: null },
        usage: anthropicUsage(plan.usage),
      }),
      0,
      0,
      true,
    ),
  );
  frames.push(frame(sseEvent('message_stop', { type: 'message_stop' })));
  return frames;
}
