/**
 * Deterministic failure cadence: with rate r, request n (1-based, counted per model since the knobs last changed)
 * fails exactly when floor(n·r) > floor((n−1)·r). So r = 0.5 fails the 2nd, 4th, 6th… request, r = 0.25 every
 * 4th, r = 1 every request, r = 0 none; over any n requests, floor(n·r) of them fail.
 */
export function failsAt(requestNumber: number, rate: number): boolean {
  if (rate <= 0 || requestNumber < 1) return false;
  if (rate >= 1) return true;
  // Integer arithmetic on a fixed grid avoids float drift (0.1 · 30 must be exactly 3).
  const scale = 1_000_000;
  const scaled = Math.round(rate * scale);
  return Math.floor((requestNumber * scaled) / scale) > Math.floor(((requestNumber - 1) * scaled) / scale);
}
