export {
  AUTO_ROUTER_ID,
  AUTO_ROUTER_MAX_MODELS,
  DEFAULT_COST_QUALITY_TRADEOFF,
  type AutoRouterOptions,
  type AutoRouterPick,
  autoRouterOptions,
  isAutoRouter,
  pickAutoRouterModels,
  promptComplexity,
  qualityTarget,
} from './auto-router.js';
export { type AutoRouterCandidate, CatalogIndex, FREE_ROUTER_ID, isFreeRouter, type DynamicVariant, type ModelVariant, type ResolvedModel } from './catalog-index.js';
export { matchesModelPattern } from './model-patterns.js';
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
