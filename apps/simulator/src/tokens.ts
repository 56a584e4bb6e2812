/**
 * The simulator's token counting: a fixed, documented rule (README "Token counting") so that any test can predict
 * the usage the simulator reports and bills. Lengths are JavaScript string lengths (UTF-16 code units; for ASCII
 * text, characters).
 *
 * - text: `ceil(length / 4)` tokens.
 * - prompt of a chat request: `3 + Σ over messages (4 + ceil(chars(message) / 4) + 85 × media parts)`
 *   `+ ceil(length(JSON.stringify(tools)) / 4)` when tools are declared, where `chars(message)` sums the lengths of
 *   every text piece of the message (text content, tool-call names and JSON arguments, tool results); a system
 *   prompt given apart from the messages (Anthropic `system`, Gemini `systemInstruction`) counts as one message.
 * - prompt of a legacy completion or an embedding input: `ceil(length / 4)` per input string (no overhead); an
 *   input given as token ids counts one token per id.
 * - completion: one token per generated word (text and reasoning), `ceil(length / 4)` of a JSON answer or of a
 *   tool call's JSON arguments.
 */

/** Tokens every chat prompt starts with (the "priming" of the reply). */
export const PROMPT_BASE_TOKENS = 3;
/** Tokens each message adds on top of its text (role and separators). */
export const MESSAGE_OVERHEAD_TOKENS = 4;
/** Tokens of one image, audio, video or file part, whatever its size. */
export const MEDIA_PART_TOKENS = 85;
/** Characters per token. */
export const CHARACTERS_PER_TOKEN = 4;

export function textTokens(text: string): number {
  return Math.ceil(text.length / CHARACTERS_PER_TOKEN);
}

/** What one prompt message weighs: the total length of its text pieces and its count of media parts. */
export interface PromptMessageWeight {
  characters: number;
  mediaParts: number;
}

export function messageTokens(message: PromptMessageWeight): number {
  return MESSAGE_OVERHEAD_TOKENS + Math.ceil(message.characters / CHARACTERS_PER_TOKEN) + MEDIA_PART_TOKENS * message.mediaParts;
}

/** Prompt tokens of a chat request: base + each message + the declared tools' JSON. */
export function chatPromptTokens(messages: readonly PromptMessageWeight[], toolsJsonLength = 0): number {
  let tokens = PROMPT_BASE_TOKENS;
  for (const message of messages) tokens += messageTokens(message);
  return tokens + Math.ceil(toolsJsonLength / CHARACTERS_PER_TOKEN);
}

/** Prompt tokens of raw inputs (legacy completions, embeddings): `ceil(length / 4)` each, no overhead. */
export function inputTokens(inputs: readonly (string | readonly number[])[]): number {
  let tokens = 0;
  for (const input of inputs) tokens += typeof input === 'string' ? textTokens(input) : input.length;
  return tokens;
}

/**
 * Tokens carried by the slice `[start, end)` of a JSON text whose total is `textTokens(text)`: the slices of a
 * split text add up exactly to the whole, so a stream cut after any piece knows what it has sent.
 */
export function sliceTokens(start: number, end: number): number {
  return Math.ceil(end / CHARACTERS_PER_TOKEN) - Math.ceil(start / CHARACTERS_PER_TOKEN);
}
