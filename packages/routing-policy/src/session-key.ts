import { type CanonicalChatRequest, contentText } from '@switchyard/llm-spec';
import { hashString } from './rendezvous.js';

export type SessionKeySource = 'session_id' | 'header' | 'prompt_cache_key' | 'conversation';

export interface SessionKey {
  key: string;
  source: SessionKeySource;
}

/**
 * The sticky-routing key of a request (reference §3.8): body `session_id`, then the `x-session-id` header, then
 * `prompt_cache_key`, then a hash of the first system/developer message and the first other message (the
 * "conversation"). Explicit keys are prefixed by their source so a session id never collides with a cache key.
 */
export function resolveSessionKey(request: Pick<CanonicalChatRequest, 'session_id' | 'prompt_cache_key' | 'messages'>, headerKey?: string | null): SessionKey | undefined {
  if (request.session_id) return { key: `s:${request.session_id}`, source: 'session_id' };
  if (headerKey) return { key: `s:${headerKey}`, source: 'header' };
  if (request.prompt_cache_key) return { key: `c:${request.prompt_cache_key}`, source: 'prompt_cache_key' };
  let system: string | undefined;
  let first: string | undefined;
  for (const message of request.messages) {
    if (message.role === 'system' || message.role === 'developer') {
      if (system === undefined) system = contentText(message.content);
    } else if (first === undefined) {
      first = contentText(message.content ?? null);
    }
    if (system !== undefined && first !== undefined) break;
  }
  if (system === undefined && first === undefined) return undefined;
  const text = `${system ?? ''}\u0000${first ?? ''}`;
  return { key: `h:${hashString(text).toString(36)}:${text.length}`, source: 'conversation' };
}

/**
 * Whether an assistant turn of the conversation carries signed or encrypted reasoning (Anthropic thinking signatures,
 * Gemini thought signatures, encrypted reasoning): a provider other than the one that signed it refuses it with a
 * 400 (reference §15, pain point 7), so such a conversation should keep to one provider.
 */
export function carriesSignedReasoning(messages: CanonicalChatRequest['messages']): boolean {
  return messages.some((message) => message.role === 'assistant' && (message.reasoning_details ?? []).some((detail) => detail.type === 'reasoning.encrypted' || Boolean(detail.signature) || Boolean(detail.data)));
}
