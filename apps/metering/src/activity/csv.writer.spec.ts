import { csvChunks, csvField, csvLine } from './csv.writer.js';

async function* fromArray<T>(items: T[]): AsyncGenerator<T> {
  for (const item of items) yield item;
}

async function collect(chunks: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const chunk of chunks) out.push(chunk);
  return out;
}

describe('CSV writer (RFC 4180)', () => {
  it('leaves plain fields alone and writes null as an empty field', () => {
    expect(csvLine(['2025-01-01', 'openai/gpt-4o', 12, '0.00014', null, undefined, true])).toBe('2025-01-01,openai/gpt-4o,12,0.00014,,,true\r\n');
  });

  it('quotes fields with commas, quotes, CR or LF, doubling the quotes', () => {
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('line1\nline2')).toBe('"line1\nline2"');
    expect(csvField('cr\rhere')).toBe('"cr\rhere"');
    expect(csvField(' spaced ')).toBe(' spaced ');
  });

  it('streams a header and rows in bounded chunks that concatenate to the whole document', async () => {
    const rows = Array.from({ length: 500 }, (_, index) => [`model,${index}`, index, '0.1']);
    const chunks = await collect(csvChunks(['model', 'requests', 'cost'], fromArray(rows), 1024));
    expect(chunks.length).toBeGreaterThan(5);
    for (const chunk of chunks.slice(0, -1)) expect(chunk.length).toBeLessThan(1024 + 64);
    const text = chunks.join('');
    expect(text.startsWith('model,requests,cost\r\n"model,0",0,0.1\r\n')).toBe(true);
    expect(text.split('\r\n')).toHaveLength(502); // header + 500 rows + the empty string after the last CRLF
  });

  it('writes only the header for an empty export', async () => {
    expect((await collect(csvChunks(['a', 'b'], fromArray([])))).join('')).toBe('a,b\r\n');
  });
});
