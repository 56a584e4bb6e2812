export {
  Decimal,
  type DecimalInput,
  MONEY_SCALE,
  formatMoney,
  isDecimalString,
  moneyToNumber,
  roundMoney,
  sumMoney,
  toDecimal,
} from './decimal.js';
export {
  type BillableUsage,
  type CostBreakdown,
  type TokenPricing,
  affordableCompletionTokens,
  perMillionToPerToken,
  perTokenToPerMillion,
  tokenCost,
  usageCost,
} from './pricing.js';
export { type FeeRule, applyDiscount, feeFor } from './fees.js';
export { type Charge, type ChargeInput, type ChargeRules, DEFAULT_CHARGE_RULES, chargeFor } from './charge.js';
