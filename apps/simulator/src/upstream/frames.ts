import { sliceTokens, textTokens } from '../tokens.js';

/**
 * One piece of a streamed answer as it goes on the wire, with the completion tokens it carries: a stream cut after
 * any frame knows exactly what it has sent. A frame with tokens is a "content chunk" (paced by tokensPerSecond,
 * counted by failAfterChunks); a frame without tokens (role, block starts, finish, usage, [DONE]) follows the one
 * before it at once.
 */
export interface Frame {
  data: string;
  tokens: number;
  reasoningTokens: number;
  /** This frame carries the final usage of the answer. */
  usage?: boolean;
}

export interface TextPiece {
  text: string;
  tokens: number;
}

export function frame(data: string, tokens = 0, reasoningTokens = 0, usage = false): Frame {
  return usage ? { data, tokens, reasoningTokens, usage } : { data, tokens, reasoningTokens };
}

export function sseData(payload: unknown): string {
  return `data: ${JSON.stringify(payload)}\n\n`;
}

export function sseEvent(event: string, payload: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(payload)}\n\n`;
}

/**
 * Words grouped into pieces: one word a piece when `chunkCount` is 0, else `chunkCount` pieces (as even as
 * possible; fewer when there are fewer words). Words after the first carry their leading space.
 */
export function wordPieces(words: readonly string[], chunkCount: number): TextPiece[] {
  if (words.length === 0) return [];
  const pieceCount = chunkCount > 0 ? Math.min(chunkCount, words.length) : words.length;
  const pieces: TextPiece[] = [];
  let start = 0;
  for (let index = 0; index < pieceCount; index++) {
    const end = Math.round(((index + 1) * words.length) / pieceCount);
    let text = '';
    for (let word = start; word < end; word++) text += word === 0 ? words[word] : ` ${words[word]}`;
    pieces.push({ text, tokens: end - start });
    start = end;
  }
  return pieces;
}

/** Characters of one piece of a JSON text (tool arguments, structured output) when no chunkCount is set: 4 tokens. */
export const DEFAULT_JSON_PIECE_CHARACTERS = 16;

/**
 * A JSON text cut into pieces on 4-character boundaries, so each piece's tokens (`sliceTokens`) add up to
 * `textTokens(text)`: `chunkCount` pieces when set, else pieces of 16 characters.
 */
export function jsonPieces(text: string, chunkCount: number): TextPiece[] {
  if (text.length === 0) return [];
  const size = chunkCount > 0 ? 4 * Math.max(1, Math.ceil(textTokens(text) / chunkCount)) : DEFAULT_JSON_PIECE_CHARACTERS;
  const pieces: TextPiece[] = [];
  for (let start = 0; start < text.length; start += size) {
    const end = Math.min(text.length, start + size);
    pieces.push({ text: text.slice(start, end), tokens: sliceTokens(start, end) });
  }
  return pieces;
}
