import type { CanonicalChatRequest } from './chat-request.js';
import type { Message } from './messages.js';
import { estimatePromptTokens } from './token-estimate.js';

/** OpenRouter compresses by default for endpoints of at most this many tokens of context (reference §11.8). */
export const MIDDLE_OUT_DEFAULT_CONTEXT = 8_192;

/**
 * Whether a request asks for OpenRouter's middle-out context compression: `transforms: ["middle-out"]` or the
 * plugin `{id: "context-compression"}` (`enabled: false` turns it off); `undefined` when it says nothing (compression is then on by default for
 * small-context models), false when it set `transforms` without "middle-out" (`transforms: []` turns it off).
 */
export function middleOutRequested(request: Pick<CanonicalChatRequest, 'transforms' | 'plugins'>): boolean | undefined {
  const plugin = request.plugins?.find((candidate) => candidate.id === 'context-compression');
  if (plugin) return plugin.enabled !== false;
  if (request.transforms === undefined || request.transforms === null) return undefined;
  return request.transforms.includes('middle-out');
}

/** Authors whose models take at most this many messages per request (OpenRouter: Claude 1,000). */
const MESSAGE_LIMITS: Readonly<Record<string, number>> = { anthropic: 1_000 };

/** The most messages a model takes per request ("anthropic/claude-sonnet-4.5" → 1,000), if it has a limit. */
export function messageLimitOf(modelId: string): number | undefined {
  return MESSAGE_LIMITS[modelId.slice(0, modelId.indexOf('/')).toLowerCase()];
}

/**
 * Middle-out compression: drops whole turns from the middle of the conversation until its estimated prompt fits
 * `budgetTokens` and it has at most `maxMessages` messages (half kept from the start, half from the end), keeping
 * the leading system/developer messages and the last message (the turn being answered).
 * An assistant message that called tools goes together with its tool results, so no result is left without its
 * call. Returns the shortened request and how many messages were dropped, or null when even the kept messages do
 * not fit (the request cannot be saved by dropping turns).
 */
export function middleOut<T extends Pick<CanonicalChatRequest, 'messages' | 'tools'>>(request: T, budgetTokens: number, maxMessages = Number.POSITIVE_INFINITY): { request: T; dropped: number } | null {
  const fits = (candidate: T) => candidate.messages.length <= maxMessages && estimatePromptTokens(candidate) <= budgetTokens;
  if (fits(request)) return { request, dropped: 0 };
  const messages = request.messages;
  let head = 0;
  while (head < messages.length - 1 && isInstruction(messages[head]!)) head += 1;
  const units = turns(messages.slice(head, -1));
  const kept = [...units];
  const assemble = () => ({ ...request, messages: [...messages.slice(0, head), ...kept.flat(), messages[messages.length - 1]!] });
  let candidate = assemble();
  while (kept.length > 0 && !fits(candidate)) {
    kept.splice(Math.floor(kept.length / 2), 1);
    candidate = assemble();
  }
  if (!fits(candidate)) return null;
  return { request: candidate, dropped: messages.length - candidate.messages.length };
}

function isInstruction(message: Message): boolean {
  return message.role === 'system' || message.role === 'developer';
}

/** Messages grouped into the units that may be dropped: a tool-calling assistant turn with its results (or a run of results), or one message. */
function turns(messages: readonly Message[]): Message[][] {
  const units: Message[][] = [];
  for (const message of messages) {
    const last = units.at(-1)?.at(-1);
    // A tool result joins the turn before it when that turn is a tool call or another result (a run of results).
    if (message.role === 'tool' && last && (last.role === 'tool' || (last.role === 'assistant' && (last.tool_calls?.length ?? 0) > 0))) units.at(-1)!.push(message);
    else units.push([message]);
  }
  return units;
}
