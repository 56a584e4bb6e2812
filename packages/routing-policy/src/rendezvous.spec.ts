import fc from 'fast-check';
import { hashPair, rendezvousPick } from './rendezvous.js';

const identity = (item: string): string => item;

describe('rendezvousPick', () => {
  it('returns undefined for no items', () => {
    expect(rendezvousPick('key', [], identity)).toBeUndefined();
  });

  it('picks the same item whatever the input order (property)', () => {
    fc.assert(
      fc.property(fc.string(), fc.uniqueArray(fc.string({ minLength: 1 }), { minLength: 1, maxLength: 12 }), fc.nat(), (key, items, seed) => {
        const shuffled = [...items].sort((a, b) => hashPair(String(seed), a) - hashPair(String(seed), b));
        return rendezvousPick(key, items, identity) === rendezvousPick(key, shuffled, identity);
      }),
    );
  });

  it('keeps its pick when another item is removed (property)', () => {
    fc.assert(
      fc.property(fc.string(), fc.uniqueArray(fc.string({ minLength: 1 }), { minLength: 2, maxLength: 12 }), fc.nat(), (key, items, which) => {
        const pick = rendezvousPick(key, items, identity);
        const others = items.filter((item) => item !== pick);
        const removed = others[which % others.length];
        return rendezvousPick(key, items.filter((item) => item !== removed), identity) === pick;
      }),
    );
  });

  it('never picks a zero-weight item while a positive one exists', () => {
    for (let key = 0; key < 500; key++) {
      expect(rendezvousPick(String(key), ['a', 'b', 'c'], identity, (item) => (item === 'b' ? 1 : 0))).toBe('b');
    }
  });

  it('spreads keys in proportion to weight (1 : 1/9 over 20k keys)', () => {
    let cheap = 0;
    const draws = 20_000;
    for (let key = 0; key < draws; key++) {
      if (rendezvousPick(`session-${key}`, ['one-dollar', 'three-dollars'], identity, (item) => (item === 'one-dollar' ? 1 : 1 / 9)) === 'one-dollar') cheap++;
    }
    expect(cheap / draws).toBeGreaterThan(0.89);
    expect(cheap / draws).toBeLessThan(0.91);
  });

  it('spreads unweighted keys evenly', () => {
    const counts = new Map<string, number>();
    const items = ['a', 'b', 'c', 'd'];
    for (let key = 0; key < 20_000; key++) {
      const pick = rendezvousPick(`k${key}`, items, identity) as string;
      counts.set(pick, (counts.get(pick) ?? 0) + 1);
    }
    for (const item of items) expect(Math.abs((counts.get(item) ?? 0) / 20_000 - 0.25)).toBeLessThan(0.015);
  });
});
