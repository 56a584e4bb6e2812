import fc from 'fast-check';
import type { CanonicalChatRequest } from './chat-request.js';
import type { Message } from './messages.js';
import { messageLimitOf, middleOut, middleOutRequested } from './middle-out.js';
import { estimatePromptTokens } from './token-estimate.js';

const text = (words: number, tag: string) => `${tag} ${'word '.repeat(words)}`.trim();
const request = (messages: Message[]): Pick<CanonicalChatRequest, 'messages' | 'tools'> => ({ messages });

describe('middleOutRequested', () => {
  it('reads transforms and the context-compression plugin, and says nothing when neither is given', () => {
    expect(middleOutRequested({})).toBeUndefined();
    expect(middleOutRequested({ transforms: ['middle-out'] })).toBe(true);
    expect(middleOutRequested({ transforms: [] })).toBe(false);
    expect(middleOutRequested({ plugins: [{ id: 'context-compression' }] })).toBe(true);
    expect(middleOutRequested({ plugins: [{ id: 'context-compression', enabled: false }], transforms: ['middle-out'] })).toBe(false);
    expect(middleOutRequested({ plugins: [{ id: 'web' }] })).toBeUndefined();
  });
});

describe('middleOut to a message count', () => {
  it("keeps a model's message limit (Claude's 1,000): half from the start, half from the end, instructions and the question kept", () => {
    const long: Message[] = [
      { role: 'system', content: 'sys' },
      ...Array.from({ length: 1_400 }, (_, index): Message => (index % 2 === 0 ? { role: 'user', content: `u${index}` } : { role: 'assistant', content: `a${index}` })),
      { role: 'user', content: 'question' },
    ];
    const trimmed = middleOut(request(long), Number.POSITIVE_INFINITY, 1_000)!;
    expect(trimmed.request.messages).toHaveLength(1_000);
    expect(trimmed.dropped).toBe(402);
    expect(trimmed.request.messages[0]).toEqual({ role: 'system', content: 'sys' });
    expect(trimmed.request.messages.at(-1)).toEqual({ role: 'user', content: 'question' });
    // The start and the end of the conversation stay; the middle goes.
    expect(trimmed.request.messages[1]).toEqual({ role: 'user', content: 'u0' });
    expect(trimmed.request.messages.at(-2)).toEqual({ role: 'assistant', content: 'a1399' });
    expect(trimmed.request.messages.some((message) => message.content === 'u700')).toBe(false);
    expect(middleOut(request(long.slice(0, 900)), Number.POSITIVE_INFINITY, 1_000)).toEqual({ request: request(long.slice(0, 900)), dropped: 0 });
  });

  it('knows the limit by author', () => {
    expect(messageLimitOf('anthropic/claude-sonnet-4.5')).toBe(1_000);
    expect(messageLimitOf('openai/gpt-4o-mini')).toBeUndefined();
  });
});

describe('middleOut', () => {
  const conversation: Message[] = [
    { role: 'system', content: 'You are helpful.' },
    ...Array.from({ length: 10 }, (_, index): Message => (index % 2 === 0 ? { role: 'user', content: text(100, `u${index}`) } : { role: 'assistant', content: text(100, `a${index}`) })),
    { role: 'user', content: 'The question being asked now.' },
  ];

  it('leaves a request that fits as it is', () => {
    const fits = request(conversation);
    expect(middleOut(fits, estimatePromptTokens(fits))).toEqual({ request: fits, dropped: 0 });
  });

  it('drops turns from the middle first, keeping the system message, the first and last turns and the question', () => {
    const full = request(conversation);
    const result = middleOut(full, estimatePromptTokens(full) - 200)!;
    expect(result.dropped).toBeGreaterThan(0);
    const tags = result.request.messages.map((message) => (typeof message.content === 'string' ? message.content.split(' ')[0] : ''));
    expect(tags[0]).toBe('You');
    expect(tags.at(-1)).toBe('The');
    expect(tags).toContain('u0');
    expect(tags).toContain('a9');
    expect(tags).not.toContain('u4');
    expect(estimatePromptTokens(result.request)).toBeLessThanOrEqual(estimatePromptTokens(full) - 200);
  });

  it('drops a tool-calling turn together with its results', () => {
    const messages: Message[] = [
      { role: 'user', content: text(50, 'first') },
      { role: 'assistant', content: null, tool_calls: [{ id: 'call-1', type: 'function', function: { name: 'lookup', arguments: '{}' } }] },
      { role: 'tool', tool_call_id: 'call-1', content: text(400, 'result') },
      { role: 'user', content: 'now' },
    ];
    const result = middleOut(request(messages), 100)!;
    expect(result.request.messages.map((message) => message.role)).toEqual(['user', 'user']);
    expect(result.dropped).toBe(2);
  });

  it('keeps a run of tool results together even without the call before it (the counterexample fast-check found)', () => {
    const messages: Message[] = [
      { role: 'tool', tool_call_id: 'call', content: '' },
      { role: 'tool', tool_call_id: 'call', content: '' },
      { role: 'tool', tool_call_id: 'call', content: '' },
      { role: 'user', content: '' },
    ];
    const result = middleOut(request(messages), 15)!;
    expect(result.request.messages.map((message) => message.role)).toEqual(['user']);
  });

  it('gives up (null) when the instructions and the question alone do not fit', () => {
    expect(middleOut(request([{ role: 'system', content: text(500, 's') }, { role: 'user', content: 'q' }]), 100)).toBeNull();
  });

  it('always fits the budget or says it cannot, keeps the order, the instructions and the last message, and never strands a tool result', () => {
    const message = fc.oneof(
      fc.record({ role: fc.constant('user' as const), content: fc.string({ maxLength: 400 }) }),
      fc.record({ role: fc.constant('assistant' as const), content: fc.string({ maxLength: 400 }) }),
      fc.record({
        role: fc.constant('assistant' as const),
        content: fc.constant(null),
        tool_calls: fc.constant([{ id: 'call', type: 'function' as const, function: { name: 'f', arguments: '{}' } }]),
      }),
      fc.record({ role: fc.constant('tool' as const), tool_call_id: fc.constant('call'), content: fc.string({ maxLength: 400 }) }),
    );
    fc.assert(
      fc.property(fc.array(fc.record({ role: fc.constant('system' as const), content: fc.string({ maxLength: 100 }) }), { maxLength: 2 }), fc.array(message as fc.Arbitrary<Message>, { minLength: 1, maxLength: 30 }), fc.integer({ min: 10, max: 3_000 }), (instructions, rest, budget) => {
        const original = request([...instructions, ...rest]);
        const result = middleOut(original, budget);
        if (result === null) {
          expect(estimatePromptTokens(request([...instructions, rest.at(-1)!]))).toBeGreaterThan(budget);
          return;
        }
        const kept = result.request.messages;
        expect(estimatePromptTokens(result.request)).toBeLessThanOrEqual(budget);
        expect(result.dropped).toBe(original.messages.length - kept.length);
        expect(kept.slice(0, instructions.length)).toEqual(instructions);
        expect(kept.at(-1)).toBe(original.messages.at(-1));
        // A subsequence of the original, in order.
        let cursor = 0;
        for (const entry of kept) {
          cursor = original.messages.indexOf(entry, cursor) + 1;
          expect(cursor).toBeGreaterThan(0);
        }
        // A tool result still follows what it followed (its turn was dropped or kept whole).
        for (let index = instructions.length; index < kept.length - 1; index++) {
          const entry = kept[index]!;
          if (entry.role !== 'tool') continue;
          const before = original.messages.indexOf(entry);
          const previous = original.messages[before - 1];
          if (previous && (previous.role === 'tool' || (previous.role === 'assistant' && previous.tool_calls))) expect(kept[index - 1]).toBe(previous);
        }
      }),
    );
  });
});
