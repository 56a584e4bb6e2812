import { canonicalPrice, canonicalPricing, diffFields, endpointId, hasVariantSuffix, impliedByTag, jsonEqual } from './catalog-records.js';

describe('catalog records', () => {
  it('spells prices canonically and exactly, whatever the input spelling', () => {
    expect(canonicalPrice('0.00000250')).toBe('0.0000025');
    expect(canonicalPrice('2.5e-7')).toBe('0.00000025');
    expect(canonicalPrice('000.1')).toBe('0.1');
    expect(canonicalPrice('0')).toBe('0');
    expect(canonicalPrice('0.000000000000000001')).toBe('0.000000000000000001');
    expect(() => canonicalPrice('cheap')).toThrow();
  });

  it('drops absent optional prices and zero discounts from pricing', () => {
    expect(canonicalPricing({ prompt: '0.0000010', completion: '0.000002', request: undefined, discount: 0 })).toEqual({ prompt: '0.000001', completion: '0.000002' });
    expect(canonicalPricing({ prompt: '1', completion: '2', input_cache_read: '0.10', discount: 0.25 })).toEqual({ prompt: '1', completion: '2', input_cache_read: '0.1', discount: 0.25 });
  });

  it('compares JSON values structurally, treating undefined as null and ignoring key order', () => {
    expect(jsonEqual({ a: 1, b: [1, 2] }, { b: [1, 2], a: 1 })).toBe(true);
    expect(jsonEqual({ a: 1, b: undefined }, { a: 1 })).toBe(true);
    expect(jsonEqual(null, undefined)).toBe(true);
    expect(jsonEqual([1, 2], [2, 1])).toBe(false);
    expect(jsonEqual({ a: { b: 1 } }, { a: { b: 2 } })).toBe(false);
    expect(jsonEqual('1', 1)).toBe(false);
    expect(jsonEqual([], {})).toBe(false);
  });

  it('lists only the fields that differ, with old and new values', () => {
    const before = { name: 'A', datacenters: ['US'], headquarters: null as string | null };
    const after = { name: 'A', datacenters: ['US', 'DE'], headquarters: 'US' };
    expect(diffFields(before, after, ['name', 'datacenters', 'headquarters'])).toEqual({
      datacenters: { from: ['US'], to: ['US', 'DE'] },
      headquarters: { from: null, to: 'US' },
    });
  });

  it('reads the variant and service tier a tag implies', () => {
    expect(impliedByTag('groq')).toEqual({ variant: 'standard', serviceTier: 'default' });
    expect(impliedByTag('groq/free')).toEqual({ variant: 'free', serviceTier: 'default' });
    expect(impliedByTag('anthropic/thinking')).toEqual({ variant: 'thinking', serviceTier: 'default' });
    expect(impliedByTag('openai/flex')).toEqual({ variant: 'standard', serviceTier: 'flex' });
    expect(impliedByTag('deepinfra/turbo')).toEqual({ variant: 'standard', serviceTier: 'default' });
    expect(endpointId('x/y', 'groq/free')).toBe('x/y@groq/free');
  });

  it('recognises variant suffixes that a model id must not carry', () => {
    expect(hasVariantSuffix('meta-llama/llama-3.3-70b-instruct:free')).toBe(true);
    expect(hasVariantSuffix('openai/gpt-5:nitro')).toBe(true);
    expect(hasVariantSuffix('anthropic/claude-3.5-sonnet:beta')).toBe(false);
    expect(hasVariantSuffix('openai/gpt-5')).toBe(false);
  });
});
