/**
 * Weighted rendezvous (highest random weight) hashing: every replica that sees the same key and the same items
 * picks the same item, with no shared state, and removing an item only moves the keys that had picked it.
 *
 * Each item scores `-weight / ln(u)` where `u ∈ (0, 1)` is a hash of (key, item id); the highest score wins. Over
 * many keys an item wins with probability weight / Σ weights (Schindelhauer & Schomaker, "Weighted distributed
 * hash tables", 2005), so stickiness keeps the load balancer's proportions.
 */

const TWO_POW_53 = 9_007_199_254_740_992;

/** The 53-bit cyrb53 hash of `key`, a NUL separator, then `id` (without building the joined string). */
export function hashPair(key: string, id: string): number {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let index = 0; index < key.length; index++) {
    const code = key.charCodeAt(index);
    h1 = Math.imul(h1 ^ code, 2654435761);
    h2 = Math.imul(h2 ^ code, 1597334677);
  }
  // separator, so ("ab", "c") and ("a", "bc") differ
  h1 = Math.imul(h1, 2654435761);
  h2 = Math.imul(h2, 1597334677);
  for (let index = 0; index < id.length; index++) {
    const code = id.charCodeAt(index);
    h1 = Math.imul(h1 ^ code, 2654435761);
    h2 = Math.imul(h2 ^ code, 1597334677);
  }
  return finalize(h1, h2);
}

/** The 53-bit cyrb53 hash of one string. */
export function hashString(text: string): number {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    h1 = Math.imul(h1 ^ code, 2654435761);
    h2 = Math.imul(h2 ^ code, 1597334677);
  }
  return finalize(h1, h2);
}

function finalize(h1: number, h2: number): number {
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

/**
 * The item that `key` lands on. `weight` defaults to 1; items of weight 0 (or negative, or NaN) win only when no
 * item has a positive weight. Ties (equal scores) go to the larger hash, then the smaller id, so the answer never
 * depends on the order of `items`. Linear in the number of items.
 */
export function rendezvousPick<T>(key: string, items: readonly T[], id: (item: T) => string, weight?: (item: T) => number): T | undefined {
  let best: T | undefined;
  let bestScore = -1;
  let bestHash = -1;
  let bestId = '';
  for (const item of items) {
    const itemId = id(item);
    const hash = hashPair(key, itemId);
    const rawWeight = weight ? weight(item) : 1;
    const itemWeight = rawWeight > 0 ? rawWeight : 0;
    // u in (0, 1): never 0 (log → -∞) nor 1 (log → 0)
    const unit = (hash + 0.5) / TWO_POW_53;
    const score = itemWeight === Infinity ? Infinity : itemWeight / -Math.log(unit);
    if (
      best === undefined ||
      score > bestScore ||
      (score === bestScore && (hash > bestHash || (hash === bestHash && itemId < bestId)))
    ) {
      best = item;
      bestScore = score;
      bestHash = hash;
      bestId = itemId;
    }
  }
  return best;
}
