import fc from 'fast-check';
import { chargeFor } from './charge.js';
import { formatMoney } from './decimal.js';

const pricing = { prompt: '0.000001', completion: '0.000002' };

describe('chargeFor', () => {
  it('charges the list price by default', () => {
    const charge = chargeFor({ usage: { promptTokens: 100, completionTokens: 50 }, pricing, finishReason: 'stop' });
    expect(formatMoney(charge.cost)).toBe('0.0002');
    expect(charge.insured).toBe(false);
  });

  it('charges nothing for zero completion tokens with an empty or error finish, but charges a normal stop', () => {
    for (const finishReason of [null, '', 'error']) {
      const charge = chargeFor({ usage: { promptTokens: 100, completionTokens: 0 }, pricing, finishReason });
      expect(formatMoney(charge.cost)).toBe('0');
      expect(charge.insured).toBe(true);
      expect(formatMoney(charge.listCost)).toBe('0.0001');
    }
    expect(formatMoney(chargeFor({ usage: { promptTokens: 100, completionTokens: 0 }, pricing, finishReason: 'stop' }).cost)).toBe('0.0001');
  });

  it('takes 1 % off for prompt-logging accounts', () => {
    expect(formatMoney(chargeFor({ usage: { promptTokens: 100, completionTokens: 50 }, pricing, finishReason: 'stop', promptLogging: true }).cost)).toBe('0.000198');
  });

  it('charges BYOK usage only the 5 % fee, waived inside the allowance', () => {
    const usage = { promptTokens: 1000, completionTokens: 500 };
    expect(formatMoney(chargeFor({ usage, pricing, finishReason: 'stop', isByok: true }).cost)).toBe('0.0001');
    expect(formatMoney(chargeFor({ usage, pricing, finishReason: 'stop', isByok: true, byokFeeWaived: true }).cost)).toBe('0');
  });

  it('never charges more than the list price, nor a negative amount (property)', () => {
    fc.assert(
      fc.property(fc.nat(100_000), fc.nat(100_000), fc.boolean(), fc.boolean(), fc.boolean(), fc.constantFrom('stop', 'length', 'error', null), (p, c, logging, byok, waived, finishReason) => {
        const charge = chargeFor({ usage: { promptTokens: p, completionTokens: c }, pricing, finishReason, promptLogging: logging, isByok: byok, byokFeeWaived: waived });
        return charge.cost.gte(0) && charge.cost.lte(charge.listCost);
      }),
    );
  });
});
