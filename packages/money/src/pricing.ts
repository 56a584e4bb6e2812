import { Decimal, type DecimalInput, roundMoney, toDecimal } from './decimal.js';

/** Prices of one endpoint, USD per token (per request / per image) as decimal strings, as in OpenRouter's model list. */
export interface TokenPricing {
  prompt: string;
  completion: string;
  request?: string | null;
  image?: string | null;
  input_cache_read?: string | null;
  input_cache_write?: string | null;
  internal_reasoning?: string | null;
  /** Fraction taken off the whole cost (0.2 = 20 % off), as OpenRouter's `pricing.discount`. */
  discount?: number | string | null;
}

export interface BillableUsage {
  promptTokens: number;
  completionTokens: number;
  /** Prompt tokens read from the provider's cache (part of promptTokens). */
  cachedTokens?: number;
  /** Prompt tokens written to the provider's cache (part of promptTokens). */
  cacheWriteTokens?: number;
  /** Images in the prompt, billed at `pricing.image` each. */
  images?: number;
  /** Number of requests billed at `pricing.request` (1 for a completed call). */
  requests?: number;
}

export interface CostBreakdown {
  prompt: Decimal;
  completion: Decimal;
  cacheRead: Decimal;
  cacheWrite: Decimal;
  request: Decimal;
  image: Decimal;
  /** Negative when the cache saved money, positive when cache writes cost more than plain prompt tokens. */
  cacheDiscount: Decimal;
  total: Decimal;
}

const ZERO = new Decimal(0);

/**
 * Parsed prices, by their string: the same few hundred catalog prices are read on every request (admission,
 * charge), and a Decimal is immutable, so one parse serves them all. Bounded: cleared when it grows past the
 * size of any real catalog. A string that is not a decimal throws and is not kept.
 */
const parsedPrices = new Map<string, Decimal>();
const PARSED_PRICES_LIMIT = 10_000;

function parsePrice(value: string): Decimal {
  let parsed = parsedPrices.get(value);
  if (parsed === undefined) {
    parsed = toDecimal(value);
    if (parsedPrices.size >= PARSED_PRICES_LIMIT) parsedPrices.clear();
    parsedPrices.set(value, parsed);
  }
  return parsed;
}

function priceOrZero(value: string | null | undefined): Decimal {
  return value === undefined || value === null || value === '' ? ZERO : parsePrice(value);
}

/** `price × count`, without the arithmetic when either is zero (most requests have no cache, image or request fee). */
function times(price: Decimal, count: number): Decimal {
  return count === 0 || price.isZero() ? ZERO : price.times(count);
}

function assertTokenCount(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 0) throw new RangeError(`${name} must be a non-negative integer, got ${value}`);
}

/** Cost of `tokens` at `pricePerToken`, exact. */
export function tokenCost(tokens: number, pricePerToken: DecimalInput): Decimal {
  assertTokenCount('tokens', tokens);
  return (typeof pricePerToken === 'string' ? parsePrice(pricePerToken) : toDecimal(pricePerToken)).times(tokens);
}

/**
 * The exact cost of one generation. Cached and cache-write tokens are billed at their own prices when the
 * endpoint lists them (else at the prompt price); the rest of the prompt at the prompt price; completion tokens
 * (reasoning included, as providers count them) at the completion price. The total is rounded to the money scale.
 */
export function usageCost(usage: BillableUsage, pricing: TokenPricing): CostBreakdown {
  const cached = usage.cachedTokens ?? 0;
  const cacheWrite = usage.cacheWriteTokens ?? 0;
  assertTokenCount('promptTokens', usage.promptTokens);
  assertTokenCount('completionTokens', usage.completionTokens);
  assertTokenCount('cachedTokens', cached);
  assertTokenCount('cacheWriteTokens', cacheWrite);
  // Every listed price is parsed (an invalid one throws whatever the usage), but zero counts cost no arithmetic.
  const promptPrice = parsePrice(pricing.prompt);
  const plainPrompt = Math.max(0, usage.promptTokens - cached - cacheWrite);
  const cacheReadPrice = pricing.input_cache_read ? parsePrice(pricing.input_cache_read) : promptPrice;
  const cacheWritePrice = pricing.input_cache_write ? parsePrice(pricing.input_cache_write) : promptPrice;
  const completionPrice = parsePrice(pricing.completion);
  const requestPrice = priceOrZero(pricing.request);
  const imagePrice = priceOrZero(pricing.image);

  const prompt = times(promptPrice, plainPrompt);
  const cacheRead = times(cacheReadPrice, cached);
  const cacheWriteCost = times(cacheWritePrice, cacheWrite);
  const completion = times(completionPrice, usage.completionTokens);
  const request = times(requestPrice, usage.requests ?? 0);
  const image = times(imagePrice, usage.images ?? 0);
  const cacheDiscount = cached + cacheWrite === 0 ? ZERO : cacheRead.plus(cacheWriteCost).minus(promptPrice.times(cached + cacheWrite));

  let total = prompt.plus(completion);
  if (cacheRead !== ZERO) total = total.plus(cacheRead);
  if (cacheWriteCost !== ZERO) total = total.plus(cacheWriteCost);
  if (request !== ZERO) total = total.plus(request);
  if (image !== ZERO) total = total.plus(image);
  const discount = pricing.discount === undefined || pricing.discount === null ? ZERO : toDecimal(pricing.discount);
  if (!discount.isZero()) total = total.times(new Decimal(1).minus(discount));
  return { prompt, completion, cacheRead, cacheWrite: cacheWriteCost, request, image, cacheDiscount, total: roundMoney(total) };
}

/** USD per million tokens (the unit of `provider.max_price`) to USD per token (the unit of the model list). */
export function perMillionToPerToken(perMillion: DecimalInput): Decimal {
  return toDecimal(perMillion).dividedBy(1_000_000);
}

export function perTokenToPerMillion(perToken: DecimalInput): Decimal {
  return toDecimal(perToken).times(1_000_000);
}

/**
 * How many completion tokens an amount buys after the prompt is paid, rounded down (OpenRouter's 402 says
 * "You requested up to N tokens, but can only afford M"). Never negative.
 */
export function affordableCompletionTokens(available: DecimalInput, promptCost: DecimalInput, completionPricePerToken: DecimalInput): number {
  const price = toDecimal(completionPricePerToken);
  const remaining = toDecimal(available).minus(toDecimal(promptCost));
  if (remaining.lte(0)) return 0;
  if (price.isZero()) return Number.MAX_SAFE_INTEGER;
  const tokens = remaining.dividedBy(price).floor();
  return tokens.gt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : tokens.toNumber();
}
