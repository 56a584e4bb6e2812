import { createRandom, VOCABULARY } from './deterministic-text.js';

/**
 * Generates a JSON value valid against a JSON Schema (draft 4 to 2020-12 keywords commonly used for tool
 * parameters and structured outputs, plus the OpenAPI subset Gemini takes: upper-case types, `nullable`).
 * Deterministic for a given seed. Honoured: type (and type lists), enum, const, properties, required,
 * additionalProperties (no extra keys are produced unless minProperties needs them), min/maxProperties, items,
 * prefixItems, tuple `items`, min/maxItems, uniqueItems, min/maxLength, formats (date-time, date, time, email, uri,
 * uuid, ipv4, ipv6, hostname), minimum, maximum, exclusive bounds (both drafts), multipleOf for integers, anyOf,
 * oneOf (first non-null branch), allOf (merged), local $ref (`#`, `#/$defs/…`, `#/definitions/…`). Not honoured:
 * `pattern`, `not`, conditionals (if/then/else), `dependencies`.
 */

export type JsonSchema = Record<string, unknown> | boolean;

/** Below this depth every object property and array item is generated; beyond it only what is required. */
const RICH_DEPTH = 4;
/** A schema that recurses through required properties has no finite instance: stop with null there. */
const MAX_DEPTH = 24;
/** Values generated per document at most, and the largest string, array or object made, whatever the schema asks: */
/** a hostile schema (minItems: 1e9, deep required recursion) costs bounded time and memory. */
const MAX_NODES = 20_000;
const MAX_LENGTH = 10_000;
const MAX_ITEMS = 1_000;

interface GeneratorContext {
  root: JsonSchema;
  random: () => number;
  nodesLeft: number;
}

export function jsonFromSchema(schema: JsonSchema, seed: number): unknown {
  return generate(schema, { root: schema, random: createRandom(seed), nodesLeft: MAX_NODES }, 0);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function resolveRef(reference: string, context: GeneratorContext): JsonSchema | undefined {
  if (!reference.startsWith('#')) return undefined;
  let node: unknown = context.root;
  const pointer = reference.slice(1);
  if (pointer === '' || pointer === '/') return node as JsonSchema;
  for (const raw of pointer.split('/').slice(1)) {
    const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    if (!isObject(node) && !Array.isArray(node)) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return isObject(node) || typeof node === 'boolean' ? (node as JsonSchema) : undefined;
}

/** allOf members merged into one schema: properties and required united, other keywords from the last one. */
function mergeAllOf(schema: Record<string, unknown>, context: GeneratorContext, nesting = 0): Record<string, unknown> {
  const { allOf, ...rest } = schema;
  let merged: Record<string, unknown> = { ...rest };
  // A self-referencing allOf has no end: stop merging a few levels down.
  if (nesting > 8 || !Array.isArray(allOf)) return merged;
  for (const member of allOf as unknown[]) {
    let part = member;
    if (isObject(part) && typeof part.$ref === 'string') part = resolveRef(part.$ref, context) ?? {};
    if (!isObject(part)) continue;
    if (Array.isArray(part.allOf)) part = mergeAllOf(part, context, nesting + 1);
    const partObject = part as Record<string, unknown>;
    merged = {
      ...merged,
      ...partObject,
      properties: { ...(isObject(merged.properties) ? merged.properties : {}), ...(isObject(partObject.properties) ? partObject.properties : {}) },
      required: [...new Set([...(Array.isArray(merged.required) ? merged.required : []), ...(Array.isArray(partObject.required) ? partObject.required : [])])],
    };
  }
  return merged;
}

function normaliseType(type: unknown): string[] {
  const types = Array.isArray(type) ? type : type === undefined ? [] : [type];
  return types.filter((value): value is string => typeof value === 'string').map((value) => value.toLowerCase());
}

function inferType(schema: Record<string, unknown>): string {
  const types = normaliseType(schema.type);
  const nonNull = types.find((type) => type !== 'null');
  if (nonNull) return nonNull;
  if (types.length > 0) return 'null';
  if (isObject(schema.properties) || schema.required !== undefined || schema.additionalProperties !== undefined || schema.minProperties !== undefined) return 'object';
  if (schema.items !== undefined || schema.prefixItems !== undefined || schema.minItems !== undefined) return 'array';
  if (schema.minLength !== undefined || schema.maxLength !== undefined || schema.format !== undefined) return 'string';
  if (schema.minimum !== undefined || schema.maximum !== undefined || schema.multipleOf !== undefined) return 'number';
  return 'string';
}

function generate(input: JsonSchema | undefined, context: GeneratorContext, depth: number): unknown {
  if (depth > MAX_DEPTH || --context.nodesLeft < 0) return null;
  if (input === false) return null;
  if (!isObject(input)) return pickWord(context);
  let schema: Record<string, unknown> = input;
  if (typeof schema.$ref === 'string') {
    const target = resolveRef(schema.$ref, context);
    const { $ref: _ref, ...siblings } = schema;
    if (target === undefined) return generate(siblings, context, depth + 1);
    schema = typeof target === 'boolean' ? siblings : Object.keys(siblings).length > 0 ? { allOf: [target, siblings] } : target;
    return generate(schema, context, depth + 1);
  }
  if (Array.isArray(schema.allOf)) schema = mergeAllOf(schema, context);
  if ('const' in schema) return schema.const;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[(context.random() * schema.enum.length) | 0];
  const branches = (Array.isArray(schema.anyOf) ? schema.anyOf : Array.isArray(schema.oneOf) ? schema.oneOf : undefined) as JsonSchema[] | undefined;
  if (branches && branches.length > 0) {
    const { anyOf: _anyOf, oneOf: _oneOf, ...siblings } = schema;
    const branch = branches.find((candidate) => !(isObject(candidate) && normaliseType(candidate.type).join() === 'null')) ?? branches[0];
    const combined = Object.keys(siblings).length > 0 && isObject(branch) ? mergeAllOf({ allOf: [siblings, branch] }, context) : branch;
    return generate(combined, context, depth + 1);
  }
  switch (inferType(schema)) {
    case 'null':
      return null;
    case 'boolean':
      return context.random() < 0.5;
    case 'integer':
      return integerFor(schema, context);
    case 'number':
      return numberFor(schema, context);
    case 'array':
      return arrayFor(schema, context, depth);
    case 'object':
      return objectFor(schema, context, depth);
    default:
      return stringFor(schema, context);
  }
}

function pickWord(context: GeneratorContext): string {
  return VOCABULARY[(context.random() * VOCABULARY.length) | 0];
}

function finite(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** The closed interval a number must fall in, from minimum/maximum and both drafts' exclusive bounds. */
function bounds(schema: Record<string, unknown>): { low: number | undefined; high: number | undefined; lowExclusive: boolean; highExclusive: boolean } {
  let low = finite(schema.minimum);
  let high = finite(schema.maximum);
  let lowExclusive = schema.exclusiveMinimum === true;
  let highExclusive = schema.exclusiveMaximum === true;
  const exclusiveLow = finite(schema.exclusiveMinimum);
  const exclusiveHigh = finite(schema.exclusiveMaximum);
  if (exclusiveLow !== undefined && (low === undefined || exclusiveLow >= low)) {
    low = exclusiveLow;
    lowExclusive = true;
  }
  if (exclusiveHigh !== undefined && (high === undefined || exclusiveHigh <= high)) {
    high = exclusiveHigh;
    highExclusive = true;
  }
  return { low, high, lowExclusive, highExclusive };
}

function integerFor(schema: Record<string, unknown>, context: GeneratorContext): number {
  const { low, high, lowExclusive, highExclusive } = bounds(schema);
  let minimum = low === undefined ? undefined : lowExclusive ? Math.floor(low) + 1 : Math.ceil(low);
  let maximum = high === undefined ? undefined : highExclusive ? Math.ceil(high) - 1 : Math.floor(high);
  if (minimum === undefined && maximum === undefined) {
    minimum = 0;
    maximum = 100;
  } else if (minimum === undefined) minimum = Math.min(0, maximum! - 100);
  else if (maximum === undefined) maximum = Math.max(minimum + 100, 100);
  const step = finite(schema.multipleOf);
  if (step !== undefined && step > 0 && Number.isInteger(step)) {
    const first = Math.ceil(minimum! / step);
    const last = Math.floor(maximum! / step);
    if (last < first) return first * step;
    return (first + Math.floor(context.random() * (last - first + 1))) * step || 0;
  }
  if (maximum! < minimum!) return minimum!;
  return minimum! + Math.floor(context.random() * (maximum! - minimum! + 1));
}

function numberFor(schema: Record<string, unknown>, context: GeneratorContext): number {
  const step = finite(schema.multipleOf);
  if (step !== undefined && step > 0 && Number.isInteger(step)) return integerFor(schema, context);
  const { low, high, lowExclusive, highExclusive } = bounds(schema);
  let minimum = low;
  let maximum = high;
  if (minimum === undefined && maximum === undefined) {
    minimum = 0;
    maximum = 100;
  } else if (minimum === undefined) minimum = Math.min(0, maximum! - 100);
  else if (maximum === undefined) maximum = Math.max(minimum + 100, 100);
  const span = maximum! - minimum!;
  // Two decimals inside the open interval, falling back to its midpoint when the interval is narrower than that.
  let value = Math.round((minimum! + context.random() * span) * 100) / 100;
  const tooLow = lowExclusive ? value <= minimum! : value < minimum!;
  const tooHigh = highExclusive ? value >= maximum! : value > maximum!;
  if (tooLow || tooHigh) value = minimum! + span / 2;
  return value;
}

function stringFor(schema: Record<string, unknown>, context: GeneratorContext): string {
  const word = pickWord(context);
  switch (typeof schema.format === 'string' ? schema.format : '') {
    case 'date-time':
      return `2025-0${1 + ((context.random() * 9) | 0)}-1${(context.random() * 9) | 0}T12:00:00Z`;
    case 'date':
      return `2025-0${1 + ((context.random() * 9) | 0)}-1${(context.random() * 9) | 0}`;
    case 'time':
      return `1${(context.random() * 9) | 0}:30:00Z`;
    case 'email':
      return `${word}@example.com`;
    case 'uri':
    case 'url':
    case 'iri':
      return `https://example.com/${word}`;
    case 'hostname':
      return `${word}.example.com`;
    case 'ipv4':
      return `192.0.2.${1 + ((context.random() * 250) | 0)}`;
    case 'ipv6':
      return `2001:db8::${(1 + ((context.random() * 65000) | 0)).toString(16)}`;
    case 'uuid': {
      const hex = Array.from({ length: 32 }, () => ((context.random() * 16) | 0).toString(16)).join('');
      return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
    }
  }
  const minimumLength = Math.min(MAX_LENGTH, Math.max(0, Math.ceil(finite(schema.minLength) ?? 0)));
  const maximumLength = finite(schema.maxLength);
  let text = word;
  while (text.length < minimumLength) text += ` ${pickWord(context)}`;
  if (maximumLength !== undefined && text.length > maximumLength) text = text.slice(0, Math.max(minimumLength, Math.floor(maximumLength))).trimEnd();
  // Trimming may have dropped below the minimum: pad with a letter (a string never needs to be a word).
  while (text.length < minimumLength) text += 'x';
  return text;
}

function arrayFor(schema: Record<string, unknown>, context: GeneratorContext, depth: number): unknown[] {
  const minimum = Math.min(MAX_ITEMS, Math.max(0, Math.ceil(finite(schema.minItems) ?? 0)));
  const maximum = finite(schema.maxItems);
  const tuple = (Array.isArray(schema.prefixItems) ? schema.prefixItems : Array.isArray(schema.items) ? schema.items : []) as JsonSchema[];
  const itemSchema = (Array.isArray(schema.items) ? (schema.additionalItems as JsonSchema | undefined) : (schema.items as JsonSchema | undefined)) ?? true;
  let count = depth < RICH_DEPTH ? Math.max(minimum, tuple.length, 2) : Math.max(minimum, tuple.length > 0 ? tuple.length : 0);
  if (maximum !== undefined) count = Math.min(count, Math.floor(maximum));
  if (itemSchema === false) count = Math.min(count, tuple.length);
  const values: unknown[] = [];
  const seen = schema.uniqueItems === true ? new Set<string>() : undefined;
  let attempts = 0;
  while (values.length < count && attempts < count * 20 + 20 && context.nodesLeft > 0) {
    attempts++;
    const index = values.length;
    const value = generate(index < tuple.length ? tuple[index] : itemSchema, context, depth + 1);
    if (seen) {
      const key = JSON.stringify(value);
      if (seen.has(key)) continue;
      seen.add(key);
    }
    values.push(value);
  }
  return values;
}

function objectFor(schema: Record<string, unknown>, context: GeneratorContext, depth: number): Record<string, unknown> {
  const properties = isObject(schema.properties) ? (schema.properties as Record<string, JsonSchema>) : {};
  const required = new Set(Array.isArray(schema.required) ? schema.required.filter((key): key is string => typeof key === 'string') : []);
  const result: Record<string, unknown> = {};
  const maximum = finite(schema.maxProperties);
  for (const [key, propertySchema] of Object.entries(properties)) {
    if (!required.has(key) && (depth >= RICH_DEPTH || (maximum !== undefined && Object.keys(result).length >= maximum - countMissingRequired(required, result, key)))) continue;
    result[key] = generate(propertySchema, context, depth + 1);
  }
  // Required keys without a declared schema still have to be there.
  for (const key of required) if (!(key in result)) result[key] = generate(additionalSchema(schema), context, depth + 1);
  const minimum = Math.min(MAX_ITEMS, Math.ceil(finite(schema.minProperties) ?? 0));
  let extra = 1;
  while (Object.keys(result).length < minimum && schema.additionalProperties !== false && context.nodesLeft > 0) {
    const key = `extra_${extra++}`;
    if (!(key in result)) result[key] = generate(additionalSchema(schema), context, depth + 1);
  }
  return result;
}

function countMissingRequired(required: Set<string>, result: Record<string, unknown>, current: string): number {
  let missing = 0;
  for (const key of required) if (key !== current && !(key in result)) missing++;
  return missing;
}

function additionalSchema(schema: Record<string, unknown>): JsonSchema {
  return isObject(schema.additionalProperties) ? (schema.additionalProperties as JsonSchema) : true;
}
