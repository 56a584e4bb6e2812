import fc from 'fast-check';
import { z } from 'zod';
import { jsonFromSchema, type JsonSchema } from './json-from-schema.js';

function validates(schema: JsonSchema, value: unknown): boolean {
  return z.fromJSONSchema(schema as Parameters<typeof z.fromJSONSchema>[0]).safeParse(value).success;
}

const keyArbitrary = fc.constantFrom('name', 'city', 'count', 'unit', 'items', 'when', 'id', 'tags', 'score', 'nested');

const stringSchema = fc.oneof(
  fc.record({ type: fc.constant('string') }),
  fc
    .tuple(fc.integer({ min: 0, max: 20 }), fc.integer({ min: 0, max: 30 }))
    .map(([minimum, extra]) => ({ type: 'string', minLength: minimum, maxLength: minimum + extra })),
  fc.constantFrom('date-time', 'date', 'email', 'uri', 'uuid', 'ipv4').map((format) => ({ type: 'string', format })),
  fc.uniqueArray(fc.string({ maxLength: 6 }), { minLength: 1, maxLength: 5 }).map((values) => ({ type: 'string', enum: values })),
);
const integerSchema = fc.oneof(
  fc.record({ type: fc.constant('integer') }),
  fc.tuple(fc.integer({ min: -1000, max: 1000 }), fc.integer({ min: 0, max: 50 })).map(([minimum, width]) => ({ type: 'integer', minimum, maximum: minimum + width })),
  fc.tuple(fc.integer({ min: -100, max: 100 }), fc.integer({ min: 1, max: 7 })).map(([minimum, step]) => ({ type: 'integer', minimum, maximum: minimum + step * 3, multipleOf: step })),
  fc.integer({ min: -100, max: 100 }).map((bound) => ({ type: 'integer', exclusiveMinimum: bound })),
);
const numberSchema = fc.oneof(
  fc.record({ type: fc.constant('number') }),
  fc.tuple(fc.double({ min: -1000, max: 1000, noNaN: true }), fc.double({ min: 0.05, max: 100, noNaN: true })).map(([minimum, width]) => ({ type: 'number', minimum, maximum: minimum + width })),
  fc.tuple(fc.double({ min: -1000, max: 1000, noNaN: true }), fc.double({ min: 0.05, max: 100, noNaN: true })).map(([minimum, width]) => ({ type: 'number', exclusiveMinimum: minimum, exclusiveMaximum: minimum + width })),
);
const leafSchema = fc.oneof(
  stringSchema,
  integerSchema,
  numberSchema,
  fc.constant({ type: 'boolean' }),
  fc.constant({ type: 'null' }),
  fc.constantFrom<unknown>(1, 'x', true, null).map((value) => ({ const: value })),
);

const { schema: schemaArbitrary } = fc.letrec<{ schema: Record<string, unknown> }>((tie) => ({
  schema: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leafSchema,
    fc
      .tuple(fc.dictionary(keyArbitrary, tie('schema'), { maxKeys: 4 }), fc.boolean(), fc.boolean())
      .chain(([properties, closed, requireAll]) =>
        fc.subarray(Object.keys(properties)).map((required) => ({
          type: 'object',
          properties,
          required: requireAll ? Object.keys(properties) : required,
          ...(closed ? { additionalProperties: false } : {}),
        })),
      ),
    fc
      .tuple(tie('schema'), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 }))
      .map(([items, minimum, extra]) => ({ type: 'array', items, minItems: minimum, maxItems: minimum + extra })),
    fc.tuple(tie('schema'), tie('schema')).map(([first, second]) => ({ anyOf: [first, second] })),
    fc.constantFrom('string', 'integer', 'boolean').map((type) => ({ type: [type, 'null'] })),
  ),
}));

describe('JSON from schema', () => {
  it('generates a value valid against any generated schema', () => {
    fc.assert(
      fc.property(schemaArbitrary, fc.integer({ min: 0, max: 2 ** 31 }), (schema, seed) => {
        const value = jsonFromSchema(schema, seed);
        if (!validates(schema, value)) throw new Error(`invalid: ${JSON.stringify(value)} for ${JSON.stringify(schema)}`);
      }),
      { numRuns: 400 },
    );
  });

  it('is deterministic for a seed', () => {
    const schema = { type: 'object', properties: { city: { type: 'string' }, days: { type: 'integer', minimum: 1, maximum: 14 } }, required: ['city'] };
    expect(jsonFromSchema(schema, 7)).toEqual(jsonFromSchema(schema, 7));
  });

  it('follows local $ref, $defs, allOf and bounded recursion', () => {
    const schema = {
      $defs: { node: { type: 'object', properties: { value: { type: 'integer' }, children: { type: 'array', items: { $ref: '#/$defs/node' } } }, required: ['value', 'children'] } },
      allOf: [{ $ref: '#/$defs/node' }, { type: 'object', properties: { label: { type: 'string', maxLength: 4 } }, required: ['label'] }],
    };
    const value = jsonFromSchema(schema, 3) as { value: number; label: string; children: unknown[] };
    expect(Number.isInteger(value.value)).toBe(true);
    expect(value.label.length).toBeLessThanOrEqual(4);
    expect(validates(schema, value)).toBe(true);
  });

  it('understands Gemini OpenAPI schemas (upper-case types, nullable, enum strings)', () => {
    const value = jsonFromSchema(
      { type: 'OBJECT', properties: { unit: { type: 'STRING', format: 'enum', enum: ['celsius', 'fahrenheit'] }, days: { type: 'INTEGER', nullable: true } }, required: ['unit', 'days'] },
      11,
    ) as { unit: string; days: number };
    expect(['celsius', 'fahrenheit']).toContain(value.unit);
    expect(Number.isInteger(value.days)).toBe(true);
  });

  it('keeps unique items unique and meets minProperties', () => {
    const unique = jsonFromSchema({ type: 'array', items: { type: 'integer', minimum: 0, maximum: 3 }, minItems: 4, uniqueItems: true }, 5) as number[];
    expect(new Set(unique).size).toBe(unique.length);
    const object = jsonFromSchema({ type: 'object', minProperties: 2 }, 5) as object;
    expect(Object.keys(object).length).toBeGreaterThanOrEqual(2);
  });

  it('stays bounded on hostile or malformed schemas', () => {
    const started = performance.now();
    expect((jsonFromSchema({ type: 'array', items: { type: 'string' }, minItems: 1e9 }, 1) as unknown[]).length).toBeLessThanOrEqual(1_000);
    expect((jsonFromSchema({ type: 'string', minLength: 1e9 }, 1) as string).length).toBeLessThanOrEqual(10_100);
    jsonFromSchema({ allOf: [{ $ref: '#' }] }, 1);
    jsonFromSchema({ $ref: '#' }, 1);
    jsonFromSchema({ type: 'object', properties: { a: 5, b: null, c: 'x' }, required: 'a' } as unknown as Record<string, unknown>, 1);
    jsonFromSchema({ type: 'array', items: 5, enum: [] } as unknown as Record<string, unknown>, 1);
    const tree = { $defs: { n: { type: 'object', properties: { kids: { type: 'array', items: { $ref: '#/$defs/n' }, minItems: 3 } }, required: ['kids'] } }, $ref: '#/$defs/n' };
    jsonFromSchema(tree, 1);
    expect(performance.now() - started).toBeLessThan(2_000);
  });
});
