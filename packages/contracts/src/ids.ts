import { createHash, randomBytes, randomFillSync } from 'node:crypto';

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** Random bytes drawn from a 4 KiB pool refilled in one call: ids are made on every request (two per request). */
const pool = Buffer.alloc(4096);
let poolOffset = pool.length;

function randomAlphanumeric(length: number): string {
  if (poolOffset + length > pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  let out = '';
  for (let index = 0; index < length; index++) out += ALPHANUMERIC[pool[poolOffset + index]! % ALPHANUMERIC.length];
  poolOffset += length;
  return out;
}

/** "gen-<unix seconds>-<20 alphanumerics>", the shape OpenRouter's generation ids have. */
export function newGenerationId(now = Date.now()): string {
  return `gen-${Math.floor(now / 1000)}-${randomAlphanumeric(20)}`;
}

export function newAttemptId(): string {
  return `att-${randomAlphanumeric(20)}`;
}

export const API_KEY_PREFIX = 'sk-sy-v1-';

/** A new inference or management key: "sk-sy-v1-" + 64 hex characters. Shown once; only its hash is stored. */
export function newApiKey(): string {
  return API_KEY_PREFIX + randomBytes(32).toString('hex');
}

/** The stored form of a key (and its id in /api/v1/keys/{hash}): SHA-256, hex. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** Masked display label: "sk-sy-v1-0e6...1c96". */
export function maskApiKey(key: string): string {
  return `${key.slice(0, API_KEY_PREFIX.length + 3)}...${key.slice(-4)}`;
}
