import fc from 'fast-check';
import { failsAt } from './failure-cadence.js';

function failures(rate: number, count: number): number[] {
  return Array.from({ length: count }, (_, index) => index + 1).filter((request) => failsAt(request, rate));
}

describe('failure cadence', () => {
  it('fails exactly every other request at 0.5, starting with the second', () => {
    expect(failures(0.5, 10)).toEqual([2, 4, 6, 8, 10]);
  });

  it('fails every 4th at 0.25, every request at 1 and none at 0', () => {
    expect(failures(0.25, 12)).toEqual([4, 8, 12]);
    expect(failures(1, 5)).toEqual([1, 2, 3, 4, 5]);
    expect(failures(0, 100)).toEqual([]);
  });

  it('fails floor(n·rate) of any first n requests, without float drift', () => {
    expect(failures(0.1, 30)).toEqual([10, 20, 30]);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 1, max: 500 }), (permille, count) => {
        const rate = permille / 1000;
        expect(failures(rate, count)).toHaveLength(Math.floor((count * permille) / 1000));
      }),
    );
  });
});
