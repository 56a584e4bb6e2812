import Anthropic from '@anthropic-ai/sdk';
import { assembleResult, type StreamPart } from '@switchyard/llm-spec';
import fc from 'fast-check';
import { billedUsage, fetchReturning, parseSse, streamText } from '../shared/skin-testing.fixture.js';
import { createMessagesSkin } from './messages.skin.js';

type Op = { kind: 'text'; text: string } | { kind: 'reasoning'; text: string } | { kind: 'start' } | { kind: 'delta'; which: number; size: number } | { kind: 'end'; which: number };

const opArbitrary: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('text' as const), text: fc.string({ minLength: 1, maxLength: 6 }) }),
  fc.record({ kind: fc.constant('reasoning' as const), text: fc.string({ minLength: 1, maxLength: 6 }) }),
  fc.record({ kind: fc.constant('start' as const) }),
  fc.record({ kind: fc.constant('delta' as const), which: fc.nat(4), size: fc.integer({ min: 1, max: 6 }) }),
  fc.record({ kind: fc.constant('end' as const), which: fc.nat(4) }),
);

/**
 * Any interleaving a provider may stream (several tool calls open at once, text and reasoning between), as canonical
 * parts. Each tool's arguments are a JSON object streamed in pieces; a call still open at the finish is cut short
 * (as max_tokens cuts one).
 */
function partsOf(ops: Op[]): StreamPart[] {
  const parts: StreamPart[] = [];
  const open: number[] = [];
  const pending = new Map<number, string>();
  let next = 0;
  for (const op of ops) {
    if (op.kind === 'text') parts.push({ type: 'text-delta', text: op.text });
    else if (op.kind === 'reasoning') parts.push({ type: 'reasoning-delta', text: op.text });
    else if (op.kind === 'start') {
      parts.push({ type: 'tool-call-start', index: next, id: `call_${next}`, name: `tool_${next}` });
      pending.set(next, JSON.stringify({ city: `Paris ${next}`, days: next, units: ['C', 'F'] }));
      open.push(next++);
    } else if (open.length > 0) {
      const index = open[op.which % open.length]!;
      const rest = pending.get(index)!;
      if (op.kind === 'delta') {
        if (rest !== '') parts.push({ type: 'tool-call-delta', index, argumentsDelta: rest.slice(0, op.size) });
        pending.set(index, rest.slice(op.size));
      } else {
        if (rest !== '') parts.push({ type: 'tool-call-delta', index, argumentsDelta: rest });
        parts.push({ type: 'tool-call-end', index });
        open.splice(open.indexOf(index), 1);
      }
    }
  }
  for (const index of open) parts.push({ type: 'tool-call-end', index });
  parts.push({ type: 'finish', finishReason: next > 0 ? 'tool_calls' : 'stop', nativeFinishReason: null });
  return parts;
}

const skin = createMessagesSkin({ stopSequences: [], estimatedInputTokens: 1 });
const billed = billedUsage({ promptTokens: 10, completionTokens: 10 });

describe('MessagesStream (property)', () => {
  it('never interleaves blocks, numbers them consecutively, and loses or reorders no content within a block kind', () => {
    fc.assert(
      fc.property(fc.array(opArbitrary, { maxLength: 40 }), (ops) => {
        const parts = partsOf(ops);
        const { text } = streamText(skin, parts, billed);
        const events = parseSse(text).map((event) => JSON.parse(event.data));
        let open: { index: number; block: Record<string, unknown>; json: string } | undefined;
        let expectedIndex = 0;
        const blocks: Array<{ block: Record<string, unknown>; json: string }> = [];
        for (const event of events) {
          if (event.type === 'content_block_start') {
            expect(open).toBeUndefined();
            expect(event.index).toBe(expectedIndex++);
            open = { index: event.index, block: { ...event.content_block }, json: '' };
          } else if (event.type === 'content_block_delta') {
            expect(event.index).toBe(open?.index);
            if (event.delta.type === 'text_delta') open!.block.text = (open!.block.text as string) + event.delta.text;
            else if (event.delta.type === 'thinking_delta') open!.block.thinking = (open!.block.thinking as string) + event.delta.thinking;
            else if (event.delta.type === 'input_json_delta') open!.json += event.delta.partial_json;
          } else if (event.type === 'content_block_stop') {
            expect(event.index).toBe(open?.index);
            blocks.push(open!);
            open = undefined;
          }
        }
        expect(open).toBeUndefined();
        expect(events.at(-1).type).toBe('message_stop');
        const result = assembleResult(parts);
        const texts = blocks.filter((entry) => entry.block.type === 'text').map((entry) => entry.block.text).join('');
        const thinking = blocks.filter((entry) => entry.block.type === 'thinking').map((entry) => entry.block.thinking).join('');
        expect(texts).toBe(result.text);
        expect(thinking).toBe(result.reasoning);
        const tools = blocks.filter((entry) => entry.block.type === 'tool_use').map((entry) => ({ id: entry.block.id, name: entry.block.name, arguments: entry.json }));
        expect(tools).toEqual(result.toolCalls.map((call) => ({ id: call.id, name: call.function.name, arguments: call.function.arguments })));
      }),
      { numRuns: 300 },
    );
  });

  it('always gives a stream the official SDK accumulates without error', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArbitrary, { maxLength: 25 }), async (ops) => {
        const { text } = streamText(skin, partsOf(ops), billed);
        const client = new Anthropic({ apiKey: 'sk-test', fetch: fetchReturning(text), maxRetries: 0 });
        const message = await client.messages.stream({ model: 'm', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] }).finalMessage();
        expect(message.stop_reason).toMatch(/^(end_turn|tool_use)$/);
      }),
      { numRuns: 40 },
    );
  });
});
