export { CatalogIndex, FREE_ROUTER_ID, isFreeRouter, type DynamicVariant, type ModelVariant, type ResolvedModel } from './catalog-index.js';
export {
  type AccountPolicy,
  type PlanError,
  type PlanErrorCode,
  type PlanInput,
  type PlanResult,
  type PlanStep,
  type PlanStrategy,
  type PlannedAttempt,
  defaultAccountPolicy,
} from './plan-types.js';
export { explainPlan, plan } from './planner.js';
export { hashString, rendezvousPick } from './rendezvous.js';
export { type SessionKey, type SessionKeySource, resolveSessionKey } from './session-key.js';
