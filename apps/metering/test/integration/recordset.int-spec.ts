import { TEST_DATABASE_URL } from '@switchyard/nest-kit/testing';
import pg from 'pg';
import { recordsetInput, type RecordsetColumn } from '../../src/common/recordset.js';

interface Sample {
  text: string | null;
  money: string | null;
  count: number | null;
  sequence: number | null;
  ratio: number | null;
  flag: boolean | null;
  at: string | null;
  document: string | null;
  bytes: Buffer | null;
}

const COLUMNS: ReadonlyArray<RecordsetColumn<Sample>> = [
  { name: 'text', type: 'text', value: (row) => row.text },
  { name: 'money', type: 'numeric', value: (row) => row.money },
  { name: 'count', type: 'integer', value: (row) => row.count },
  { name: 'sequence', type: 'bigint', value: (row) => row.sequence },
  { name: 'ratio', type: 'double precision', value: (row) => row.ratio },
  // A reserved word as a column name: the recordset's column definitions are quoted.
  { name: 'order', type: 'boolean', value: (row) => row.flag },
  { name: 'at', type: 'timestamptz', value: (row) => row.at },
  { name: 'document', type: 'jsonb', value: (row) => row.document },
  { name: 'bytes', type: 'bytea', value: (row) => row.bytes },
];

describe('recordsetInput on real Postgres', () => {
  let client: pg.Client;

  beforeAll(async () => {
    client = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await client.connect();
  });

  afterAll(async () => {
    await client?.end();
  });

  async function roundTrip(rows: Sample[]) {
    const input = recordsetInput(COLUMNS, rows, 'sample');
    const result = await client.query(`SELECT text, money::text AS money, count, sequence::text AS sequence, ratio, "order", at, document, bytes FROM ${input.from}`, input.parameters);
    return result.rows;
  }

  it('stores every type exactly: decimal strings as exact numerics, JSON text as jsonb, bytes as bytea', async () => {
    const document = { prompt: '0.00000015', nested: [1, 'two', { three: null }], text: 'naïve — 日本語 "quoted"\nnew line' };
    const rows = await roundTrip([
      {
        text: 'a "quoted", back\\slash, new\nline, tab\t and ünïcödé 🚀',
        money: '0.000000123456789012345678',
        count: 2_147_483_647,
        sequence: 9_007_199_254_740_991,
        ratio: 0.1,
        flag: true,
        at: '2026-11-24T16:00:00.123Z',
        document: JSON.stringify(document),
        bytes: Buffer.from([0x00, 0x01, 0x5c, 0x78, 0xff]),
      },
      { text: null, money: null, count: null, sequence: null, ratio: null, flag: null, at: null, document: null, bytes: null },
    ]);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toEqual({
      text: 'a "quoted", back\\slash, new\nline, tab\t and ünïcödé 🚀',
      money: '0.000000123456789012345678',
      count: 2_147_483_647,
      sequence: '9007199254740991',
      ratio: 0.1,
      order: true,
      at: new Date('2026-11-24T16:00:00.123Z'),
      document,
      bytes: Buffer.from([0x00, 0x01, 0x5c, 0x78, 0xff]),
    });
    expect(rows[1]).toEqual({ text: null, money: null, count: null, sequence: null, ratio: null, order: null, at: null, document: null, bytes: null });
  });

  it('stores text Postgres would refuse (NUL, lone surrogates) with the replacement character instead of failing the batch', async () => {
    const rows = await roundTrip([{ text: 'nul\u0000 lone\uD800 high \uDC00low', money: '1', count: 1, sequence: 1, ratio: 1, flag: false, at: null, document: null, bytes: null }]);
    expect(rows[0].text).toBe('nul\uFFFD lone\uFFFD high \uFFFDlow');
  });

  it('refuses a number no column can hold rather than storing something else', () => {
    expect(() => recordsetInput(COLUMNS, [{ text: null, money: null, count: Number.NaN, sequence: null, ratio: null, flag: null, at: null, document: null, bytes: null }])).toThrow(/cannot store NaN/);
  });

  it('takes no rows as an empty recordset', async () => {
    expect(await roundTrip([])).toEqual([]);
  });
});
