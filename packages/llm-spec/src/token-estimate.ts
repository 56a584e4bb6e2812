import type { CanonicalChatRequest } from './chat-request.js';
import { contentText } from './messages.js';

/**
 * A quick upper-leaning estimate of prompt tokens (about four characters a token, plus per-message overhead),
 * used before the provider reports real usage: admission, context-length filtering and cancelled streams.
 */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

export function estimatePromptTokens(request: Pick<CanonicalChatRequest, 'messages' | 'tools'>): number {
  let tokens = 3;
  for (const message of request.messages) {
    tokens += 4;
    if (message.role === 'assistant') {
      tokens += estimateTokens(contentText(message.content ?? null));
      for (const call of message.tool_calls ?? []) tokens += estimateTokens(call.function.name + call.function.arguments) + 3;
    } else {
      tokens += estimateTokens(contentText(message.content));
      if (message.role === 'user' && typeof message.content !== 'string') {
        for (const part of message.content) if (part.type === 'image_url') tokens += 85;
      }
    }
  }
  if (request.tools) tokens += estimateTokens(JSON.stringify(request.tools));
  return tokens;
}
