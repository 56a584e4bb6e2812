/** A provider's token count as a non-negative integer (absent, null, negative or NaN count as 0). */
export function tokenCount(value: number | null | undefined): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.round(value) : 0;
}
