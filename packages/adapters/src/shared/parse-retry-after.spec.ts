import fc from 'fast-check';
import { parseDuration, parseRetryAfter, parseRetryHintInMessage } from './parse-retry-after.js';

const now = Date.UTC(2026, 0, 15, 12, 0, 0);

describe('parseRetryAfter', () => {
  it('reads delta-seconds, case-insensitively', () => {
    fc.assert(
      fc.property(fc.nat(86_400), fc.constantFrom('Retry-After', 'retry-after', 'RETRY-AFTER'), (seconds, name) => {
        expect(parseRetryAfter({ [name]: String(seconds) }, now)).toBe(seconds * 1000);
      }),
    );
  });

  it('reads an HTTP date as the time until then (never negative)', () => {
    fc.assert(
      fc.property(fc.integer({ min: -86_400, max: 86_400 }), (offsetSeconds) => {
        const header = new Date(now + offsetSeconds * 1000).toUTCString();
        expect(parseRetryAfter({ 'retry-after': header }, now)).toBe(Math.max(0, offsetSeconds * 1000));
      }),
    );
  });

  it('prefers retry-after-ms (Azure, OpenAI) to Retry-After', () => {
    expect(parseRetryAfter({ 'retry-after-ms': '1500', 'retry-after': '2' }, now)).toBe(1500);
  });

  it('ignores absent and unparseable values', () => {
    fc.assert(
      fc.property(fc.string().filter((value) => !/^\s*\d/.test(value) && Number.isNaN(Date.parse(value))), (garbage) => {
        expect(parseRetryAfter({ 'retry-after': garbage }, now)).toBeUndefined();
      }),
    );
    expect(parseRetryAfter({}, now)).toBeUndefined();
    expect(parseRetryAfter({ 'retry-after': '-5' }, now)).toBeUndefined();
    expect(parseRetryAfter({ 'retry-after': '12abc' }, now)).toBeUndefined();
  });
});

describe('retry hints', () => {
  it.each([
    ['34.4s', 34_400],
    ['250ms', 250],
    ['6m0s', 360_000],
    ['2 seconds', 2000],
    ['1 minute', 60_000],
    ['soon', undefined],
  ])('parseDuration(%s) = %s', (text, expected) => {
    expect(parseDuration(text)).toBe(expected);
  });

  it.each([
    ['Rate limit reached for gpt-4 on tokens per min (TPM): Limit 10000, Used 9990. Please try again in 1.2s. Visit …', 1200],
    ['Please retry after 6 seconds. Please go here: https://aka.ms/oai/quotaincrease', 6000],
    ['Please try again in 6m0s.', 360_000],
    ['Limit 10000, Used 9000, Requested 2000 on gpt-4 for 1 m tokens', undefined],
  ])('finds the wait in %j', (message, expected) => {
    expect(parseRetryHintInMessage(message)).toBe(expected);
  });
});
