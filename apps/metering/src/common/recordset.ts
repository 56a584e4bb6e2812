import { storableText } from './postgres-text.js';

/**
 * Builds `INSERT … SELECT FROM jsonb_to_recordset($1::jsonb) AS t(a type, …)`: one statement and one parameter,
 * the rows as one JSON array, whatever their number. Postgres parses the JSON in C; the alternative, one array
 * parameter per column, made the pg driver escape every value into an array literal in JavaScript (a visible share
 * of metering's CPU and garbage). It composes with `ON CONFLICT` and `RETURNING`.
 */
export interface RecordsetColumn<Row> {
  /** Column name in the table and in the recordset's alias. */
  name: string;
  /** Postgres type ("text", "numeric", "jsonb", "timestamptz", "bytea", ...). */
  type: string;
  /**
   * The value: text is cleaned for Postgres (NUL, lone surrogates); a `jsonb` column takes JSON text (as
   * `storableJson` makes it) and embeds it as is; `numeric` values are decimal strings, so money stays exact.
   */
  value: (row: Row) => string | number | boolean | Buffer | null;
}

export interface RecordsetInput {
  /** `jsonb_to_recordset($1::jsonb) AS t(a type, …)`, to use as a FROM item. */
  from: string;
  /** The column names, comma-separated. */
  columns: string;
  parameters: unknown[];
}

export function recordsetInput<Row>(columns: ReadonlyArray<RecordsetColumn<Row>>, rows: ReadonlyArray<Row>, alias = 'input', firstParameter = 1): RecordsetInput {
  const keys = columns.map((column) => `${JSON.stringify(column.name)}:`);
  const parts: string[] = [];
  for (const row of rows) {
    let object = '{';
    for (let index = 0; index < columns.length; index++) {
      const column = columns[index]!;
      object += `${index === 0 ? '' : ','}${keys[index]}${jsonValue(column.type, column.value(row))}`;
    }
    parts.push(`${object}}`);
  }
  const definitions = columns.map((column) => `"${column.name}" ${column.type}`).join(', ');
  const names = columns.map((column) => column.name).join(', ');
  return { from: `jsonb_to_recordset($${firstParameter}::jsonb) AS ${alias} (${definitions})`, columns: names, parameters: [`[${parts.join(',')}]`] };
}

function jsonValue(type: string, value: string | number | boolean | Buffer | null | undefined): string {
  if (value === null || value === undefined) return 'null';
  // bytea's text input: "\x" and hex digits.
  if (Buffer.isBuffer(value)) return `"\\\\x${value.toString('hex')}"`;
  if (typeof value === 'string') return type === 'jsonb' ? value : JSON.stringify(storableText(value));
  if (typeof value === 'number' && !Number.isFinite(value)) throw new Error(`cannot store ${value} in a ${type} column`);
  return JSON.stringify(value);
}
