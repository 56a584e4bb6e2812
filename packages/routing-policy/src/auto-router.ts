import { type CanonicalChatRequest, contentText } from '@switchyard/llm-spec';
import type { AutoRouterCandidate } from './catalog-index.js';
import { matchesModelPattern } from './model-patterns.js';

/** `openrouter/auto` (reference §3.9, §11.6): a model picked for the prompt. */
export const AUTO_ROUTER_ID = 'openrouter/auto';
/** OpenRouter's newer auto router id: the same router here (there is one heuristic, see the ADR). */
const AUTO_ROUTER_IDS: ReadonlySet<string> = new Set([AUTO_ROUTER_ID, 'openrouter/auto-beta']);

/** Whether a requested model id names the auto router (`openrouter/auto` or `-beta`; any case, spaces ignored). */
export function isAutoRouter(id: string): boolean {
  return AUTO_ROUTER_IDS.has(id.trim().toLowerCase());
}

/** The most models one auto-routed request tries: the pick and its nearest neighbours that can serve it. */
export const AUTO_ROUTER_MAX_MODELS = 6;
/** OpenRouter's default `cost_quality_tradeoff`: 0 = the best model whatever it costs, 10 = the cheapest. */
export const DEFAULT_COST_QUALITY_TRADEOFF = 7;

/** The `auto-router` plugin's options (OpenRouter's names): which models it may pick and how much cost matters. */
export interface AutoRouterOptions {
  allowedModels?: readonly string[];
  excludedModels?: readonly string[];
  costQualityTradeoff: number;
}

const stringList = (value: unknown): string[] | undefined =>
  Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string' && item.trim().length > 0) : undefined;

/**
 * The request's `plugins: [{id: "auto-router", allowed_models?, excluded_models?, cost_quality_tradeoff?}]` (patterns
 * with `*`; an excluded pattern wins over an allowed one; the tradeoff 0-10, default 7, clamped). A plugin with
 * `enabled: false` is ignored.
 */
export function autoRouterOptions(request: Pick<CanonicalChatRequest, 'plugins'>): AutoRouterOptions {
  const plugin = request.plugins?.find((entry) => (entry.id === 'auto-router' || entry.id === 'auto-beta-router') && entry.enabled !== false) as Record<string, unknown> | undefined;
  const tradeoff = typeof plugin?.cost_quality_tradeoff === 'number' && Number.isFinite(plugin.cost_quality_tradeoff) ? Math.min(10, Math.max(0, plugin.cost_quality_tradeoff)) : DEFAULT_COST_QUALITY_TRADEOFF;
  return { allowedModels: stringList(plugin?.allowed_models), excludedModels: stringList(plugin?.excluded_models), costQualityTradeoff: tradeoff };
}

const CODE = /```|\b(function|class|def|return|import|const|SELECT|#include|public static)\b|=>|\{\s*\n/;
const REASONING = /\b(prove|proof|derive|step[- ]by[- ]step|analy[sz]e|reason(ing)?|algorithm|optimi[sz]e|debug|refactor|architect(ure)?|complexity|theorem|trade-?offs?|evaluate|plan)\b/i;
const MATH = /[∑∫√∂≤≥]|\\frac|\\sum|\b(equation|integral|derivative|matrix|probability)\b/i;

/**
 * How demanding the prompt looks, 0 (a short plain question) to 1 (a long, technical, multi-step task): its length
 * (log scale: ~40 tokens is 0, ~8,000 is the whole length share) and what the last user turn asks (code, reasoning
 * words, mathematics), tools, asked-for reasoning, a JSON schema, a long conversation. A heuristic a person can check,
 * not a trained classifier: see docs/adr/2026-11-25-auto-router.md.
 */
export function promptComplexity(request: Pick<CanonicalChatRequest, 'messages' | 'tools' | 'reasoning' | 'response_format'>, promptTokens: number): number {
  const length = Math.min(1, Math.max(0, Math.log10(Math.max(1, promptTokens) / 40) / Math.log10(200)));
  const lastUser = [...request.messages].reverse().find((message) => message.role === 'user');
  const text = lastUser ? contentText(lastUser.content).slice(0, 20_000) : '';
  let score = 0.45 * length;
  if (CODE.test(text)) score += 0.25;
  if (REASONING.test(text)) score += 0.25;
  if (MATH.test(text)) score += 0.1;
  if (request.tools?.length) score += 0.15;
  const effort = request.reasoning?.effort;
  if (request.reasoning && request.reasoning.enabled !== false && effort !== 'none' && effort !== 'minimal' && effort !== 'low') score += 0.2;
  if (request.response_format?.type === 'json_schema') score += 0.1;
  if (request.messages.length > 8) score += 0.1;
  return Math.min(1, Math.round(score * 1000) / 1000);
}

/**
 * Where among the candidates (0 = cheapest, 1 = dearest) the pick should be: the complexity, moved down by how much
 * the tradeoff favours cost (5 is neutral, the default 7 moves it down 0.2); 0 is always the dearest, 10 always the
 * cheapest.
 */
export function qualityTarget(complexity: number, costQualityTradeoff: number): number {
  if (costQualityTradeoff <= 0) return 1;
  if (costQualityTradeoff >= 10) return 0;
  return Math.min(1, Math.max(0, complexity + 0.5 - costQualityTradeoff / 10));
}

export interface AutoRouterPick {
  /** Every eligible model in the order to try: the pick, then its neighbours by price, nearest first (dearer first). */
  modelIds: string[];
}

/**
 * The auto router's choice: the candidates the options (and the key's allowlist) leave, ranked by price as the
 * measure of capability the catalog has; the cheapest at or above the quality target is picked, its neighbours
 * follow, nearest first. The planner then drops those whose endpoints cannot serve the request (providers, tools,
 * context, modalities, parameters) and tries the first AUTO_ROUTER_MAX_MODELS left.
 */
export function pickAutoRouterModels(
  candidates: readonly AutoRouterCandidate[],
  request: Pick<CanonicalChatRequest, 'messages' | 'tools' | 'reasoning' | 'response_format' | 'plugins'>,
  promptTokens: number,
  keyAllowedModels?: readonly string[] | null,
): AutoRouterPick {
  const options = autoRouterOptions(request);
  const eligible = candidates.filter(
    ({ modelId }) =>
      (!options.allowedModels?.length || matchesModelPattern(options.allowedModels, modelId)) &&
      !(options.excludedModels?.length && matchesModelPattern(options.excludedModels, modelId)) &&
      (!keyAllowedModels || matchesModelPattern(keyAllowedModels, modelId)),
  );
  if (eligible.length === 0) return { modelIds: [] };
  const target = qualityTarget(promptComplexity(request, promptTokens), options.costQualityTradeoff);
  const picked = Math.min(eligible.length - 1, Math.ceil(target * (eligible.length - 1) - 1e-9));
  const order = [picked];
  for (let step = 1; order.length < eligible.length; step++) {
    if (picked + step < eligible.length) order.push(picked + step);
    if (picked - step >= 0) order.push(picked - step);
  }
  return { modelIds: order.map((index) => eligible[index]!.modelId) };
}
