/**
 * Builds `INSERT … SELECT FROM unnest($1::type[], $2::type[], …)`: one statement and one array parameter per
 * column, whatever the number of rows (Postgres' fastest multi-row insert short of COPY, and it composes with
 * `ON CONFLICT` and `RETURNING`).
 */
export interface UnnestColumn<Row> {
  /** Column name in the table and in the `unnest` alias. */
  name: string;
  /** Postgres element type ("text", "numeric", "jsonb", "timestamptz", ...). */
  type: string;
  value: (row: Row) => string | number | boolean | Buffer | null;
}

export interface UnnestInput {
  /** `unnest($1::text[], …) AS t(a, …)`, to use as a FROM item. */
  from: string;
  /** The column names, comma-separated. */
  columns: string;
  parameters: unknown[];
}

export function unnestInput<Row>(columns: ReadonlyArray<UnnestColumn<Row>>, rows: ReadonlyArray<Row>, alias = 'input', firstParameter = 1): UnnestInput {
  const parameters = columns.map((column) => rows.map((row) => column.value(row)));
  const arrays = columns.map((column, index) => `$${firstParameter + index}::${column.type}[]`).join(', ');
  const names = columns.map((column) => column.name).join(', ');
  return { from: `unnest(${arrays}) AS ${alias} (${names})`, columns: names, parameters };
}
