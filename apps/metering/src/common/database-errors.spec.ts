import { isDataError, sqlState } from './database-errors.js';

describe('isDataError', () => {
  it('treats value errors as permanent (dead letter) and everything else as transient (retry)', () => {
    expect(isDataError({ code: '22P02' })).toBe(true); // invalid text representation
    expect(isDataError({ code: '23502' })).toBe(true); // not-null violation
    expect(isDataError({ code: '54000' })).toBe(true); // index row too large
    expect(isDataError({ driverError: { code: '22003' } })).toBe(true);
    expect(isDataError({ code: '40P01' })).toBe(false); // deadlock
    expect(isDataError({ code: '57P01' })).toBe(false); // admin shutdown
    expect(isDataError({ code: 'ECONNREFUSED' })).toBe(false);
    expect(isDataError(new Error('Connection terminated'))).toBe(false);
    expect(sqlState({ code: 'ECONNREFUSED' })).toBeUndefined();
  });
});
