import { providerFrameSchema } from '@switchyard/contracts';
import { checkStreamGrammar, type StreamPart } from '@switchyard/llm-spec';
import fc from 'fast-check';
import { chunkText, encodePartsFrames, HEARTBEAT_FRAME } from './frame-encoder.js';

const end = { upstreamMs: 12.5, ttftMs: 3.25, upstreamStatus: 200 };

function decode(frames: string[]) {
  return frames.map((frame) => providerFrameSchema.parse(JSON.parse(frame)));
}

function partsOf(frames: string[]): StreamPart[] {
  return decode(frames).flatMap((frame) => (frame.k === 'parts' ? frame.parts : []));
}

describe('encodePartsFrames', () => {
  it('sends a batch that fits as exactly one frame, with end when given', () => {
    const parts: StreamPart[] = [{ type: 'text-delta', text: 'Hello' }, { type: 'text-delta', text: ' world' }, { type: 'finish', finishReason: 'stop' }];
    const frames = encodePartsFrames(parts, end, 64 * 1024);
    expect(frames).toHaveLength(1);
    expect(decode(frames)[0]).toEqual({ k: 'parts', parts, end });
  });

  it('leaves end out of a mid-stream frame', () => {
    const [frame] = decode(encodePartsFrames([{ type: 'text-delta', text: 'x' }], undefined, 64 * 1024));
    expect(frame).toEqual({ k: 'parts', parts: [{ type: 'text-delta', text: 'x' }] });
  });

  it('splits a batch over the size limit into frames that each fit, in order, with end only on the last', () => {
    const parts: StreamPart[] = Array.from({ length: 200 }, (_, index) => ({ type: 'text-delta' as const, text: `token-${index}-${'x'.repeat(40)}` }));
    parts.push({ type: 'usage', usage: { promptTokens: 3, completionTokens: 200, totalTokens: 203, cachedTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 } });
    parts.push({ type: 'finish', finishReason: 'stop' });
    const frames = encodePartsFrames(parts, end, 4_096);
    expect(frames.length).toBeGreaterThan(2);
    for (const frame of frames) expect(Buffer.byteLength(frame)).toBeLessThanOrEqual(4_096);
    const decoded = decode(frames);
    expect(decoded.slice(0, -1).every((frame) => frame.k === 'parts' && frame.end === undefined)).toBe(true);
    expect(decoded.at(-1)).toMatchObject({ k: 'parts', end });
    expect(partsOf(frames)).toEqual(parts);
  });

  it('splits one oversized text delta into consecutive deltas that reassemble exactly (multi-byte text too)', () => {
    const text = 'é😀 données '.repeat(3_000);
    const parts: StreamPart[] = [{ type: 'text-delta', text }, { type: 'finish', finishReason: 'stop' }];
    const frames = encodePartsFrames(parts, end, 8_192);
    for (const frame of frames) expect(Buffer.byteLength(frame)).toBeLessThanOrEqual(8_192);
    const out = partsOf(frames);
    expect(checkStreamGrammar(out)).toEqual([]);
    expect(out.filter((part) => part.type === 'text-delta').map((part) => (part as { text: string }).text).join('')).toBe(text);
    expect(out.at(-1)).toEqual({ type: 'finish', finishReason: 'stop' });
  });

  it('keeps tool-call argument deltas between their start and end when splitting', () => {
    const argumentsText = JSON.stringify({ blob: 'a'.repeat(20_000) });
    const parts: StreamPart[] = [
      { type: 'tool-call-start', index: 0, id: 'call_1', name: 'save' },
      { type: 'tool-call-delta', index: 0, argumentsDelta: argumentsText },
      { type: 'tool-call-end', index: 0 },
      { type: 'finish', finishReason: 'tool_calls' },
    ];
    const out = partsOf(encodePartsFrames(parts, end, 4_096));
    expect(checkStreamGrammar(out)).toEqual([]);
    expect(out.filter((part) => part.type === 'tool-call-delta').map((part) => (part as { argumentsDelta: string }).argumentsDelta).join('')).toBe(argumentsText);
  });

  it('puts reasoning details (a signature) only on the last piece of a split reasoning delta', () => {
    const details = [{ type: 'reasoning.text' as const, text: 'r', signature: 'sig', format: 'anthropic-claude-v1' }];
    const parts = [{ type: 'reasoning-delta', text: 'r'.repeat(10_000), details }] as StreamPart[];
    const out = partsOf(encodePartsFrames(parts, undefined, 2_048));
    expect(out.length).toBeGreaterThan(1);
    expect(out.slice(0, -1).every((part) => !('details' in part))).toBe(true);
    expect(out.at(-1)).toMatchObject({ details });
  });

  it('sends end alone when the last batch was split away', () => {
    const frames = encodePartsFrames([{ type: 'text-delta', text: 'y'.repeat(10_000) }], end, 2_048);
    expect(decode(frames).filter((frame) => frame.k === 'parts' && frame.end)).toHaveLength(1);
  });

  it('has a constant heartbeat frame the caller understands', () => {
    expect(providerFrameSchema.parse(JSON.parse(HEARTBEAT_FRAME))).toEqual({ k: 'heartbeat' });
  });
});

describe('chunkText', () => {
  it('never splits a surrogate pair and always reassembles', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 400 }), fc.integer({ min: 2, max: 50 }), (text, size) => {
        const pieces = chunkText(text, size);
        expect(pieces.join('')).toBe(text);
        for (const piece of pieces) {
          expect(piece.length).toBeLessThanOrEqual(size);
          if (text.length > 0) expect(piece.length).toBeGreaterThan(0);
          const last = piece.charCodeAt(piece.length - 1);
          expect(last >= 0xd800 && last <= 0xdbff).toBe(false);
        }
      }),
    );
  });
});
