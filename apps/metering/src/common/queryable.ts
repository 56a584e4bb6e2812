/** What repositories run SQL on: the DataSource, or the EntityManager of a transaction in progress. */
export interface Queryable {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  query<T = any>(query: string, parameters?: unknown[]): Promise<T>;
}
