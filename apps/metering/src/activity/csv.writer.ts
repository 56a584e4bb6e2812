/** RFC 4180 CSV: CRLF line ends; a field containing a comma, a double quote, CR or LF is quoted, quotes doubled. */
export type CsvValue = string | number | boolean | null | undefined;

const NEEDS_QUOTING = /[",\r\n]/;

export function csvField(value: CsvValue): string {
  if (value === null || value === undefined) return '';
  const text = String(value);
  return NEEDS_QUOTING.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvLine(values: ReadonlyArray<CsvValue>): string {
  return `${values.map(csvField).join(',')}\r\n`;
}

/**
 * The CSV text of a header and rows, yielded in chunks of about `chunkBytes` characters, so a large export streams
 * to the client with bounded memory.
 */
export async function* csvChunks(header: ReadonlyArray<string>, rows: AsyncIterable<ReadonlyArray<CsvValue>>, chunkBytes = 64 * 1024): AsyncGenerator<string> {
  let buffer = csvLine(header);
  for await (const row of rows) {
    buffer += csvLine(row);
    if (buffer.length >= chunkBytes) {
      yield buffer;
      buffer = '';
    }
  }
  if (buffer.length > 0) yield buffer;
}
