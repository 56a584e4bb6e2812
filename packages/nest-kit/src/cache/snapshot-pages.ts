import { from, type Observable } from 'rxjs';

/**
 * A snapshot too large for one NATS message (max_payload, 1 MiB by default) travels in pages: every page carries
 * the snapshot's other fields (its version) and a run of the items of its paged fields — arrays (items in order) or
 * records (entries, e.g. the routing table's endpoints by id) — each page at most `maxBytes` of JSON (an item larger
 * than that on its own gets a page of its own). The owner answers the snapshot request with the pages (a handler
 * returning an Observable: one reply message per page), the caller collects them with `NatsService.requestAll` and
 * puts them back together with `mergeSnapshotPages`. A snapshot that fits is one page, identical to the snapshot:
 * callers that expect a single reply keep working.
 */
export function snapshotPages<T extends object>(snapshot: T, fields: readonly (keyof T & string)[], maxBytes: number): T[] {
  if (Buffer.byteLength(JSON.stringify(snapshot)) <= maxBytes) return [snapshot];
  const source = snapshot as Record<string, unknown>;
  const emptyOf = (name: string): unknown[] | Record<string, unknown> => (Array.isArray(source[name]) ? [] : {});
  const empty = { ...source };
  for (const name of fields) empty[name] = emptyOf(name);
  const baseBytes = Buffer.byteLength(JSON.stringify(empty));
  const pages: Record<string, unknown[] | Record<string, unknown>>[] = [];
  let page: Record<string, unknown[] | Record<string, unknown>> = {};
  let bytes = 0;
  const startPage = () => {
    page = Object.fromEntries(fields.map((name) => [name, emptyOf(name)]));
    pages.push(page);
    bytes = baseBytes;
  };
  startPage();
  for (const name of fields) {
    const value = source[name];
    const entries: Array<[string | undefined, unknown]> = Array.isArray(value) ? value.map((item) => [undefined, item]) : Object.entries((value ?? {}) as Record<string, unknown>);
    for (const [key, item] of entries) {
      // The item's JSON and its comma, and for a record entry its quoted key and colon.
      const itemBytes = Buffer.byteLength(JSON.stringify(item)) + 1 + (key === undefined ? 0 : Buffer.byteLength(JSON.stringify(key)) + 1);
      if (bytes + itemBytes > maxBytes && bytes > baseBytes) startPage();
      const target = page[name]!;
      if (key === undefined) (target as unknown[]).push(item);
      else Object.defineProperty(target, key, { value: item, enumerable: true, writable: true, configurable: true });
      bytes += itemBytes;
    }
  }
  return pages.map((items) => ({ ...snapshot, ...items }));
}

/** Default largest page, bytes of JSON: half of NATS' default max_payload. */
export const SNAPSHOT_PAGE_BYTES = 512 * 1024;
/** Room for Nest's reply envelope (`{id, response, isDisposed}`) around a page, bytes. */
const ENVELOPE_BYTES = 1_024;

/** The largest page of a snapshot, bytes: the configured size, and never more than the server's `maxPayload` leaves for a page. */
export function snapshotPageLimit(options: { maxPayload?: number; pageBytes?: number } = {}): number {
  return Math.min(options.pageBytes ?? SNAPSHOT_PAGE_BYTES, (options.maxPayload ?? 1_048_576) - ENVELOPE_BYTES);
}

/** A snapshot handler's answer: the snapshot in pages (one reply message each) of at most `snapshotPageLimit(options)`. */
export function replyInPages<T extends object>(snapshot: T, fields: readonly (keyof T & string)[], options: { maxPayload?: number; pageBytes?: number } = {}): Observable<T> {
  return from(snapshotPages(snapshot, fields, snapshotPageLimit(options)));
}

/** The pages of one snapshot back into it: the first page's other fields, every page's items (or entries) in order. */
export function mergeSnapshotPages<T extends object>(pages: readonly T[], fields: readonly (keyof T & string)[]): T {
  const [first] = pages;
  if (first === undefined) throw new Error('a snapshot needs at least one page');
  if (pages.length === 1) return first;
  const merged = { ...first } as Record<string, unknown>;
  for (const name of fields) {
    const values = pages.map((page) => (page as Record<string, unknown>)[name]);
    merged[name] = Array.isArray(values[0])
      ? values.flatMap((value) => (value as unknown[] | undefined) ?? [])
      : Object.fromEntries(values.flatMap((value) => Object.entries((value ?? {}) as Record<string, unknown>)));
  }
  return merged as T;
}
