import { jest } from '@jest/globals';
import fc from 'fast-check';
import { BATCH_HEADER, decodeEvents, encodeEvents, EventBatcher, eventBatchWindowMs, splitEventBatch, type BatchItem } from './event-batch.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function asMessage(items: BatchItem[]) {
  const { payload, headers } = encodeEvents(items);
  return { data: encoder.encode(payload), headers };
}

describe('event batch codec', () => {
  it('round-trips any events, newlines and non-ASCII text inside strings included, with their trace contexts', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ value: fc.jsonValue(), traced: fc.boolean() }), { minLength: 2, maxLength: 20 }),
        (entries) => {
          const items = entries.map((entry, index) => ({
            json: JSON.stringify(entry.value ?? null),
            traceparent: entry.traced ? `00-${String(index).padStart(32, '0')}-${'a'.repeat(16)}-01` : undefined,
          }));
          const message = asMessage(items);
          expect(decodeEvents(message)).toEqual(items.map((item) => JSON.parse(item.json)));
          const split = splitEventBatch(message)!;
          expect(split.map((event) => event.headers?.get('traceparent') || undefined)).toEqual(items.map((item) => item.traceparent));
          expect(split.map((event) => decoder.decode(event.data))).toEqual(items.map((item) => item.json));
        },
      ),
    );
  });

  it('encodes a lone event as a plain message with its own trace context, no batch header', () => {
    const { payload, headers } = encodeEvents([{ json: '{"id":"gen-1"}', traceparent: '00-abc-def-01' }]);
    expect(payload).toBe('{"id":"gen-1"}');
    expect(headers.get(BATCH_HEADER)).toBe('');
    expect(headers.get('traceparent')).toBe('00-abc-def-01');
  });

  it('reads a message without the batch header as one plain event', () => {
    const message = { data: encoder.encode('{"id":"gen-1","text":"a\\nb"}') };
    expect(splitEventBatch(message)).toBeUndefined();
    expect(decodeEvents(message)).toEqual([{ id: 'gen-1', text: 'a\nb' }]);
  });

  it('takes the non-empty lines of a batch as its events (blank lines and a trailing newline are not events)', () => {
    const { headers } = encodeEvents([{ json: '1', traceparent: undefined }, { json: '2', traceparent: undefined }]);
    const split = splitEventBatch({ data: encoder.encode('{"a":1}\n\n{"b":2}\n'), headers })!;
    expect(split.map((event) => decoder.decode(event.data))).toEqual(['{"a":1}', '{"b":2}']);
  });

  it('counts the events in the Sy-Batch header', () => {
    expect(asMessage([{ json: '1', traceparent: undefined }, { json: '2', traceparent: undefined }]).headers.get(BATCH_HEADER)).toBe('2');
  });
});

describe('EventBatcher', () => {
  afterEach(() => jest.useRealTimers());

  it('sends the events of one subject together when the window closes, and a lone event alone', () => {
    jest.useFakeTimers();
    const sent: Array<{ subject: string; events: string[] }> = [];
    const batcher = new EventBatcher((subject, items) => sent.push({ subject, events: items.map((item) => item.json) }), { windowMs: 20 });
    batcher.add('a', '1', undefined);
    batcher.add('a', '2', undefined);
    batcher.add('b', '3', undefined);
    expect(sent).toEqual([]);
    expect(batcher.size).toBe(3);
    jest.advanceTimersByTime(20);
    expect(sent).toEqual([
      { subject: 'a', events: ['1', '2'] },
      { subject: 'b', events: ['3'] },
    ]);
    expect(batcher.size).toBe(0);
  });

  it('sends a full batch at once, by count or by size, and keeps the rest for the next one', () => {
    jest.useFakeTimers();
    const sent: string[][] = [];
    const batcher = new EventBatcher((_subject, items) => sent.push(items.map((item) => item.json)), { windowMs: 1_000, maxEvents: 3, maxBytes: 20 });
    for (const value of ['1', '2', '3', '4']) batcher.add('a', value, undefined);
    expect(sent).toEqual([['1', '2', '3']]);
    batcher.add('a', '"01234567890123456"', undefined); // would pass maxBytes with '4': '4' goes first
    expect(sent).toEqual([['1', '2', '3'], ['4'], ['"01234567890123456"']]);
  });

  it('drops a repeat of the same key inside one batch (first one wins), as JetStream de-duplication would', () => {
    const sent: Array<{ events: string[]; keys: string[] }> = [];
    const batcher = new EventBatcher((_subject, items, keys) => sent.push({ events: items.map((item) => item.json), keys }), { windowMs: 1_000 });
    batcher.add('a', '"first"', undefined, 'gen-1');
    batcher.add('a', '"second"', undefined, 'gen-2');
    batcher.add('a', '"repeat"', undefined, 'gen-1');
    batcher.closeAll();
    expect(sent).toEqual([{ events: ['"first"', '"second"'], keys: ['gen-1', 'gen-2'] }]);
  });

  it('sends every event alone with a window of 0', () => {
    const sent: string[][] = [];
    const batcher = new EventBatcher((_subject, items) => sent.push(items.map((item) => item.json)), { windowMs: 0 });
    batcher.add('a', '1', undefined);
    batcher.add('a', '2', undefined);
    expect(sent).toEqual([['1'], ['2']]);
  });

  it('takes its window from SWITCHYARD_EVENT_BATCH_MS, ignoring nonsense', () => {
    expect(eventBatchWindowMs({})).toBe(20);
    expect(eventBatchWindowMs({ SWITCHYARD_EVENT_BATCH_MS: '0' })).toBe(0);
    expect(eventBatchWindowMs({ SWITCHYARD_EVENT_BATCH_MS: '50' })).toBe(50);
    expect(eventBatchWindowMs({ SWITCHYARD_EVENT_BATCH_MS: 'soon' })).toBe(20);
    expect(eventBatchWindowMs({ SWITCHYARD_EVENT_BATCH_MS: '-5' })).toBe(20);
  });
});
