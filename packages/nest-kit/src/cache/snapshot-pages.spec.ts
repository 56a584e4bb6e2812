import fc from 'fast-check';
import { firstValueFrom, toArray } from 'rxjs';
import { mergeSnapshotPages, replyInPages, snapshotPages } from './snapshot-pages.js';

interface Snapshot {
  version: number;
  keys: Array<{ hash: string; name: string }>;
  accounts: Array<{ accountId: string; balance: string }>;
}

const key = fc.record({ hash: fc.string({ minLength: 1, maxLength: 64 }), name: fc.string({ maxLength: 200 }) });
const account = fc.record({ accountId: fc.string({ minLength: 1, maxLength: 40 }), balance: fc.string({ maxLength: 20 }) });
const snapshot = fc.record({ version: fc.nat(), keys: fc.array(key, { maxLength: 60 }), accounts: fc.array(account, { maxLength: 60 }) });
const ARRAYS = ['keys', 'accounts'] as const;

describe('snapshot pages', () => {
  it('puts back exactly the snapshot it split, every page within the size unless one item alone is larger (property)', () => {
    fc.assert(
      fc.property(snapshot, fc.integer({ min: 64, max: 4_096 }), (value: Snapshot, maxBytes) => {
        const pages = snapshotPages(value, ARRAYS, maxBytes);
        expect(mergeSnapshotPages(pages, ARRAYS)).toEqual(value);
        for (const page of pages) {
          expect(page.version).toBe(value.version);
          const items = page.keys.length + page.accounts.length;
          if (items > 1) expect(Buffer.byteLength(JSON.stringify(page))).toBeLessThanOrEqual(maxBytes);
        }
      }),
    );
  });

  it('keeps a snapshot that fits as one page equal to it, and splits a large one', () => {
    const small: Snapshot = { version: 7, keys: [{ hash: 'a', name: 'one' }], accounts: [{ accountId: 'acct', balance: '1' }] };
    expect(snapshotPages(small, ARRAYS, 1_024)).toEqual([small]);
    const large: Snapshot = { version: 8, keys: Array.from({ length: 300 }, (_, index) => ({ hash: `hash-${index}`, name: 'x'.repeat(100) })), accounts: [] };
    const pages = snapshotPages(large, ARRAYS, 4_096);
    expect(pages.length).toBeGreaterThan(8);
    expect(pages.flatMap((page) => page.keys).map((entry) => entry.hash)).toEqual(large.keys.map((entry) => entry.hash));
  });

  it('answers in pages that leave room for the reply envelope below the server max_payload, whatever page size is configured', async () => {
    const large: Snapshot = { version: 9, keys: Array.from({ length: 200 }, (_, index) => ({ hash: `hash-${index}`, name: 'x'.repeat(100) })), accounts: [] };
    const pages = await firstValueFrom(replyInPages(large, ARRAYS, { maxPayload: 8_192, pageBytes: 1_048_576 }).pipe(toArray()));
    expect(pages.length).toBeGreaterThan(3);
    for (const page of pages) expect(Buffer.byteLength(JSON.stringify(page))).toBeLessThanOrEqual(8_192 - 1_024);
    expect(mergeSnapshotPages(pages, ARRAYS)).toEqual(large);
  });

  it('pages a record field by its entries and merges them back, the same way (property)', () => {
    interface Table {
      version: number;
      generatedAt: string;
      endpoints: Record<string, { state: string; weight: number }>;
    }
    const entry = fc.record({ state: fc.constantFrom('closed', 'open', 'half-open'), weight: fc.double({ min: 0, max: 10, noNaN: true }) });
    const table = fc.record({ version: fc.nat(), generatedAt: fc.string({ maxLength: 30 }), endpoints: fc.dictionary(fc.string({ minLength: 1, maxLength: 40 }), entry, { maxKeys: 80 }) });
    fc.assert(
      fc.property(table, fc.integer({ min: 64, max: 2_048 }), (value: Table, maxBytes) => {
        const pages = snapshotPages(value, ['endpoints'], maxBytes);
        expect(mergeSnapshotPages(pages, ['endpoints'])).toEqual(value);
        for (const page of pages) {
          expect(page.version).toBe(value.version);
          if (Object.keys(page.endpoints).length > 1) expect(Buffer.byteLength(JSON.stringify(page))).toBeLessThanOrEqual(maxBytes);
        }
      }),
    );
  });

  it('keeps an entry keyed __proto__ as data when paging and merging a record', () => {
    const endpoints = JSON.parse('{"__proto__": {"state": "open"}, "a": {"state": "closed"}}') as Record<string, { state: string }>;
    const pages = snapshotPages({ version: 1, endpoints }, ['endpoints'], 40);
    expect(pages.length).toBe(2);
    const merged = mergeSnapshotPages(pages, ['endpoints']);
    expect(Object.keys(merged.endpoints).sort()).toEqual(['__proto__', 'a']);
    expect(Object.getPrototypeOf(merged.endpoints)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).state).toBeUndefined();
  });
});
