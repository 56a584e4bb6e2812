import type { CatalogEndpoint, CatalogModel, CatalogProvider } from '@switchyard/llm-spec';
import { toDecimal } from '@switchyard/money';

/** What a change touched, as recorded in the change log and announced in `catalog.changed`. */
export type ChangeKind = 'provider' | 'model' | 'endpoint' | 'alias' | 'import';
export type ChangeAction = 'created' | 'updated' | 'disabled' | 'deleted';

export interface FieldChange {
  from: unknown;
  to: unknown;
}

export interface ChangeEntry {
  kind: ChangeKind;
  id: string;
  action: ChangeAction;
  /** For updates: each changed field with its old and new value. */
  fields?: Record<string, FieldChange>;
}

export interface CatalogAlias {
  alias: string;
  target: string;
}

/** Everything stored, active or not. */
export interface CatalogContents {
  version: number;
  providers: CatalogProvider[];
  models: CatalogModel[];
  endpoints: CatalogEndpoint[];
  aliases: CatalogAlias[];
}

/**
 * The canonical spelling of a price: a plain decimal without exponent, leading or trailing zeros ("0.0000025"),
 * so "0.00000250" from Postgres and "0.0000025" from a request compare equal. Exact (decimal.js), never a float.
 */
export function canonicalPrice(value: string): string {
  return toDecimal(value).toString();
}

/** Structural equality of JSON-like values (arrays ordered, object keys unordered, undefined ≡ missing). */
export function jsonEqual(left: unknown, right: unknown): boolean {
  if (left === right) return true;
  if (left === null || left === undefined || right === null || right === undefined) return (left ?? null) === (right ?? null);
  if (typeof left !== 'object' || typeof right !== 'object') return false;
  if (Array.isArray(left) !== Array.isArray(right)) return false;
  if (Array.isArray(left)) {
    const other = right as unknown[];
    return left.length === other.length && left.every((item, index) => jsonEqual(item, other[index]));
  }
  const leftRecord = left as Record<string, unknown>;
  const rightRecord = right as Record<string, unknown>;
  const keys = new Set([...Object.keys(leftRecord), ...Object.keys(rightRecord)]);
  for (const key of keys) {
    const a = leftRecord[key];
    const b = rightRecord[key];
    if (a === undefined && b === undefined) continue;
    if (!jsonEqual(a, b)) return false;
  }
  return true;
}

/** The fields whose values differ between two versions of a record (only `keys` are compared). */
export function diffFields<T extends object>(before: T, after: T, keys: readonly (keyof T & string)[]): Record<string, FieldChange> {
  const fields: Record<string, FieldChange> = {};
  for (const key of keys) {
    const from = before[key];
    const to = after[key];
    if (!jsonEqual(from, to)) fields[key] = { from: from ?? null, to: to ?? null };
  }
  return fields;
}

export const PROVIDER_FIELDS = [
  'name',
  'wireFormat',
  'adapter',
  'baseUrl',
  'apiVersion',
  'dataPolicy',
  'statusPageUrl',
  'privacyPolicyUrl',
  'termsOfServiceUrl',
  'headquarters',
  'datacenters',
  'status',
] as const satisfies readonly (keyof CatalogProvider)[];

export const MODEL_FIELDS = [
  'canonicalSlug',
  'huggingFaceId',
  'name',
  'description',
  'created',
  'contextLength',
  'inputModalities',
  'outputModalities',
  'tokenizer',
  'instructType',
  'reasoning',
  'knowledgeCutoff',
  'expirationDate',
  'defaultParameters',
  'status',
] as const satisfies readonly (keyof CatalogModel)[];

export const ENDPOINT_FIELDS = [
  'variant',
  'upstreamModelId',
  'pricing',
  'contextLength',
  'maxCompletionTokens',
  'maxPromptTokens',
  'quantization',
  'supportedParameters',
  'supportsImplicitCaching',
  'serviceTier',
  'status',
] as const satisfies readonly (keyof CatalogEndpoint)[];

/** Variant tags that select endpoints; `flex`/`priority` tag suffixes are service tiers. */
const VARIANT_SUFFIXES = new Set(['free', 'extended', 'thinking']);
const TIER_SUFFIXES = new Set(['flex', 'priority']);

/** "deepinfra/turbo" → "turbo"; "groq" → undefined. */
export function tagSuffix(tag: string): string | undefined {
  const slash = tag.indexOf('/');
  return slash < 0 ? undefined : tag.slice(slash + 1);
}

/** The variant and service tier a tag implies (seed README: "groq/free" → free, "openai/flex" → flex tier). */
export function impliedByTag(tag: string): { variant: CatalogEndpoint['variant']; serviceTier: CatalogEndpoint['serviceTier'] } {
  const suffix = tagSuffix(tag)?.toLowerCase();
  return {
    variant: suffix !== undefined && VARIANT_SUFFIXES.has(suffix) ? (suffix as CatalogEndpoint['variant']) : 'standard',
    serviceTier: suffix !== undefined && TIER_SUFFIXES.has(suffix) ? (suffix as CatalogEndpoint['serviceTier']) : 'default',
  };
}

/** The stable endpoint id "<model id>@<tag>". */
export function endpointId(modelId: string, tag: string): string {
  return `${modelId}@${tag}`;
}

/** A model id must not carry a variant: `:free`, `:extended`, `:thinking` (and dynamic ones) are endpoint tags / routing. */
const RESERVED_MODEL_SUFFIXES = /:(free|extended|thinking|nitro|floor|exacto|online)$/i;
export function hasVariantSuffix(modelId: string): boolean {
  return RESERVED_MODEL_SUFFIXES.test(modelId);
}

/** Prices in canonical spelling, optional prices left out when absent. */
export function canonicalPricing(pricing: CatalogEndpoint['pricing']): CatalogEndpoint['pricing'] {
  const result: CatalogEndpoint['pricing'] = { prompt: canonicalPrice(pricing.prompt), completion: canonicalPrice(pricing.completion) };
  for (const key of ['request', 'image', 'input_cache_read', 'input_cache_write', 'internal_reasoning'] as const) {
    const value = pricing[key];
    if (value !== undefined && value !== null) result[key] = canonicalPrice(value);
  }
  if (pricing.discount !== undefined && pricing.discount !== null && pricing.discount !== 0) result.discount = pricing.discount;
  return result;
}
