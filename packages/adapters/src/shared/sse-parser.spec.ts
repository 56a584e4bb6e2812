import fc from 'fast-check';
import { SseParser, parseSseText } from './sse-parser.js';

describe('SseParser', () => {
  it('frames events, joins multi-line data, keeps the event name, skips comments and other fields', () => {
    const text = ': OPENROUTER PROCESSING\n\nevent: content_block_delta\ndata: {"a":\ndata: 1}\nid: 7\nretry: 100\n\ndata:[DONE]\n\n';
    expect(parseSseText(text)).toEqual([{ event: 'content_block_delta', data: '{"a":\n1}' }, { data: '[DONE]' }]);
  });

  it('treats CRLF, CR and LF line endings alike', () => {
    const lf = 'event: ping\ndata: {"type":"ping"}\n\ndata: x\n\n';
    expect(parseSseText(lf.replaceAll('\n', '\r\n'))).toEqual(parseSseText(lf));
    expect(parseSseText(lf.replaceAll('\n', '\r'))).toEqual(parseSseText(lf));
  });

  it('drops a leading byte order mark', () => {
    expect(parseSseText('\uFEFFdata: x\n\n')).toEqual([{ data: 'x' }]);
  });

  it('flushes a last event the upstream did not terminate', () => {
    expect(parseSseText('data: {"done":true}')).toEqual([{ data: '{"done":true}' }]);
  });

  it('gives the same events however the body is split into chunks', () => {
    const line = fc.oneof(
      fc.string({ maxLength: 30 }).map((value) => `data: ${value.replace(/[\r\n]/g, '')}`),
      fc.constantFrom('event: message_start', ': keep-alive', 'id: 1', ''),
    );
    const body = fc.tuple(fc.array(line, { maxLength: 25 }), fc.constantFrom('\n', '\r\n', '\r')).map(([lines, ending]) => lines.join(ending) + ending + ending);
    fc.assert(
      fc.property(body, fc.array(fc.nat(2000), { maxLength: 20 }), (text, cuts) => {
        const points = [...new Set(cuts.map((cut) => cut % (text.length + 1)))].sort((a, b) => a - b);
        const parser = new SseParser();
        const events = [];
        let start = 0;
        for (const point of [...points, text.length]) {
          events.push(...parser.push(text.slice(start, point)));
          start = point;
        }
        events.push(...parser.end());
        expect(events).toEqual(parseSseText(text));
      }),
    );
  });
});
