import { from, type Observable } from 'rxjs';

/**
 * A snapshot too large for one NATS message (max_payload, 1 MiB by default) travels in pages: every page carries
 * the snapshot's other fields (its version) and a run of its arrays' items, each page at most `maxBytes` of JSON
 * (an item larger than that on its own gets a page of its own). The owner answers the snapshot request with the
 * pages (a handler returning an Observable: one reply message per page), the caller collects them with
 * `NatsService.requestAll` and puts them back together with `mergeSnapshotPages`. A snapshot that fits is one page,
 * identical to the snapshot: callers that expect a single reply keep working.
 */
export function snapshotPages<T extends object>(snapshot: T, arrays: readonly (keyof T & string)[], maxBytes: number): T[] {
  const empty = { ...snapshot } as Record<string, unknown>;
  for (const name of arrays) empty[name] = [];
  const baseBytes = Buffer.byteLength(JSON.stringify(empty));
  const pages: Record<string, unknown[]>[] = [];
  let page: Record<string, unknown[]> | undefined;
  let bytes = 0;
  const startPage = () => {
    page = Object.fromEntries(arrays.map((name) => [name, []]));
    pages.push(page);
    bytes = baseBytes;
  };
  startPage();
  for (const name of arrays) {
    for (const item of (snapshot as Record<string, unknown>)[name] as unknown[]) {
      const itemBytes = Buffer.byteLength(JSON.stringify(item)) + 1; // and its comma
      if (bytes + itemBytes > maxBytes && bytes > baseBytes) startPage();
      page![name]!.push(item);
      bytes += itemBytes;
    }
  }
  return pages.map((items) => ({ ...snapshot, ...items }));
}

/** Default largest page, bytes of JSON: half of NATS' default max_payload. */
export const SNAPSHOT_PAGE_BYTES = 512 * 1024;
/** Room for Nest's reply envelope (`{id, response, isDisposed}`) around a page, bytes. */
const ENVELOPE_BYTES = 1_024;

/**
 * A snapshot handler's answer: the snapshot in pages (one reply message each) of at most `pageBytes`, and never more
 * than the server's `maxPayload` (from the connection's INFO) leaves for a page.
 */
export function replyInPages<T extends object>(snapshot: T, arrays: readonly (keyof T & string)[], options: { maxPayload?: number; pageBytes?: number } = {}): Observable<T> {
  const pageBytes = Math.min(options.pageBytes ?? SNAPSHOT_PAGE_BYTES, (options.maxPayload ?? 1_048_576) - ENVELOPE_BYTES);
  return from(snapshotPages(snapshot, arrays, pageBytes));
}

/** The pages of one snapshot back into it: the first page's other fields, every page's items in order. */
export function mergeSnapshotPages<T extends object>(pages: readonly T[], arrays: readonly (keyof T & string)[]): T {
  const [first] = pages;
  if (first === undefined) throw new Error('a snapshot needs at least one page');
  if (pages.length === 1) return first;
  const merged = { ...first } as Record<string, unknown>;
  for (const name of arrays) merged[name] = pages.flatMap((page) => ((page as Record<string, unknown>)[name] as unknown[] | undefined) ?? []);
  return merged as T;
}
