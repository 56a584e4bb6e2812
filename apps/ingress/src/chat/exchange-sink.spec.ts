import type { StreamPart } from '@switchyard/llm-spec';
import { chatCompletionsSkin } from './chat-completions.skin.js';
import { ExchangeSink } from './generation-pipeline.service.js';
import type { SseWriter } from './sse-writer.js';

const identity = { id: 'gen-1-abc', provider: 'OpenAI', model: 'openai/gpt-4o-mini', created: 1700000000, systemFingerprint: null };

function streamingSink() {
  const writes: string[] = [];
  let firstContent = 0;
  const writer = { write: (text: string) => writes.push(text) } as unknown as SseWriter;
  const sink = new ExchangeSink({ writer, skin: chatCompletionsSkin.stream(identity, true), identity: () => identity, onFirstContent: () => (firstContent += 1) });
  return { sink, writes, firstContents: () => firstContent };
}

const events = (text: string) => text.split('\n\n').filter(Boolean).map((event) => JSON.parse(event.replace(/^data: /, '')));

describe('ExchangeSink', () => {
  it("writes one frame's parts to the client in one write, in order", () => {
    const { sink, writes, firstContents } = streamingSink();
    const burst: StreamPart[] = ['Hel', 'lo', ' world'].map((text) => ({ type: 'text-delta', text }));
    sink.onParts(burst);
    expect(writes).toHaveLength(1);
    expect(events(writes[0]!).map((chunk) => chunk.choices[0].delta.content)).toEqual(['Hel', 'lo', ' world']);
    sink.onParts([{ type: 'text-delta', text: '!' }]);
    expect(writes).toHaveLength(2);
    expect(firstContents()).toBe(1);
    expect(sink.assembler.result.text).toBe('Hello world!');
    expect(sink.completionCharacters).toBe('Hello world!'.length);
  });

  it('writes nothing for a frame that renders nothing (usage, finish)', () => {
    const { sink, writes } = streamingSink();
    sink.onParts([{ type: 'usage', usage: { promptTokens: 3, completionTokens: 1, totalTokens: 4, cachedTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 } }]);
    expect(writes).toEqual([]);
    expect(sink.usage?.totalTokens).toBe(4);
  });

  it('collects a non-streaming answer without writing anything', () => {
    const sink = new ExchangeSink(undefined);
    sink.onParts([{ type: 'text-delta', text: 'answer' }, { type: 'finish', finishReason: 'stop' }]);
    expect(sink.assembler.result.text).toBe('answer');
    expect(sink.assembler.result.finishReason).toBe('stop');
  });

  it("keeps the serving attempt's parts for the response cache, and stops keeping a response too long to store", () => {
    const attempt = { endpoint: { id: 'e' } } as never;
    const sink = new ExchangeSink(undefined);
    sink.keepParts(200);
    sink.beginAttempt(attempt);
    sink.onParts([{ type: 'text-delta', text: 'from a failed attempt' }]);
    sink.beginAttempt(attempt);
    const served: StreamPart[] = [{ type: 'text-delta', text: 'short' }, { type: 'finish', finishReason: 'stop' }];
    sink.onParts(served);
    expect(sink.kept).toEqual(served);
    expect(sink.keptOverflow).toBe(false);

    sink.onParts([{ type: 'text-delta', text: 'x'.repeat(300) }]);
    expect(sink.kept).toBeUndefined();
    expect(sink.keptOverflow).toBe(true);
    // The answer itself is whole: only its copy for the cache was dropped.
    expect(sink.assembler.result.text).toBe(`short${'x'.repeat(300)}`);
  });
});
