import type { EffectiveKnobs } from '../knobs/knobs.schema.js';
import { textTokens } from '../tokens.js';
import { base62Id, deriveSeed, requestSeed, signatureFor, wordsFor } from './deterministic-text.js';
import { jsonFromSchema, type JsonSchema } from './json-from-schema.js';

export interface ToolDefinition {
  name: string;
  /** JSON Schema of the arguments (an object schema). */
  parameters: JsonSchema | undefined;
}

export type ToolChoice = { type: 'auto' } | { type: 'none' } | { type: 'required' } | { type: 'tool'; name: string };

export type OutputFormat = { type: 'text' } | { type: 'json_object' } | { type: 'json_schema'; schema: JsonSchema };

/** What a chat request asks for, whatever its wire format. Parsed by each format's schema module. */
export interface ChatIntent {
  model: string;
  stream: boolean;
  promptTokens: number;
  /** Text of the last user (or tool-result) message: the seed of the answer and where `call:<tool>` markers are read. */
  lastUserText: string;
  /** The last message carries a tool result: the answer is text. */
  lastIsToolResult: boolean;
  maxTokens: number | undefined;
  tools: ToolDefinition[];
  toolChoice: ToolChoice;
  parallelToolCalls: boolean;
  output: OutputFormat;
  reasoning: 'requested' | 'disabled' | 'unspecified';
  /** The request's own cap on reasoning tokens (Anthropic budget_tokens, Gemini thinkingBudget, reasoning.max_tokens). */
  reasoningBudget: number | undefined;
  /** `marked`: the request marks a cache (cache_control, prompt_cache_key, cachedContent). `key`: the cached prefix (Anthropic writes, then reads). */
  cache: { marked: boolean; key?: string };
}

export function defaultIntent(model: string, overrides: Partial<ChatIntent> = {}): ChatIntent {
  return {
    model,
    stream: false,
    promptTokens: 0,
    lastUserText: '',
    lastIsToolResult: false,
    maxTokens: undefined,
    tools: [],
    toolChoice: { type: 'auto' },
    parallelToolCalls: true,
    output: { type: 'text' },
    reasoning: 'unspecified',
    reasoningBudget: undefined,
    cache: { marked: false },
    ...overrides,
  };
}

export interface ToolCallPlan {
  /** Deterministic id suffix; each format adds its prefix (`call_`, `toolu_`). */
  idSuffix: string;
  name: string;
  /** JSON text of the arguments (cut when max tokens ran out). */
  arguments: string;
  tokens: number;
}

export type ContentPlan = { type: 'text'; words: string[] } | { type: 'json'; text: string; tokens: number } | { type: 'tool_calls'; calls: ToolCallPlan[] };

export interface PlanUsage {
  /** Every prompt token, cached ones included. */
  promptTokens: number;
  /** Prompt tokens read from cache. */
  cachedTokens: number;
  /** Prompt tokens written to cache (Anthropic only). */
  cacheWriteTokens: number;
  /** Every generated token, reasoning included. */
  completionTokens: number;
  reasoningTokens: number;
}

export interface GenerationPlan {
  seed: number;
  reasoning: { words: string[]; text: string; signature: string } | undefined;
  content: ContentPlan;
  finish: 'stop' | 'length' | 'tool_calls';
  usage: PlanUsage;
}

/** Share of the prompt reported as cached when a request marks a cache and no `cachedRatio` knob is set. */
export const DEFAULT_MARKED_CACHE_RATIO = 0.5;

/** Remembers which cache prefixes were written, so the first request writes and later ones read (Anthropic). */
export class PromptCache {
  private readonly keys = new Set<string>();
  constructor(private readonly capacity = 100_000) {}

  /** True the first time `key` is seen (a cache write), false afterwards (a cache read). */
  firstSeen(key: string): boolean {
    if (this.keys.has(key)) return false;
    if (this.keys.size >= this.capacity) this.keys.clear();
    this.keys.add(key);
    return true;
  }

  clear(): void {
    this.keys.clear();
  }
}

const TOOL_MARKER = /call:([A-Za-z0-9_.:-]+)/g;

/** Tool names named by `call:<name>` markers, in order of appearance, without duplicates. */
export function toolMarkers(text: string): string[] {
  const names: string[] = [];
  for (const match of text.matchAll(TOOL_MARKER)) {
    const name = match[1].replace(/[.:]+$/, '');
    if (!names.includes(name)) names.push(name);
  }
  return names;
}

function chosenTools(intent: ChatIntent): ToolDefinition[] {
  if (intent.lastIsToolResult || intent.tools.length === 0 || intent.toolChoice.type === 'none') return [];
  const byName = new Map(intent.tools.map((tool) => [tool.name, tool]));
  if (intent.toolChoice.type === 'tool') {
    const named = byName.get(intent.toolChoice.name);
    return named ? [named] : [];
  }
  const marked = toolMarkers(intent.lastUserText)
    .map((name) => byName.get(name))
    .filter((tool): tool is ToolDefinition => tool !== undefined);
  const calls = marked.length > 0 ? marked : intent.toolChoice.type === 'required' ? [intent.tools[0]] : [];
  return intent.parallelToolCalls ? calls : calls.slice(0, 1);
}

function reasoningOn(intent: ChatIntent, knobs: EffectiveKnobs): boolean {
  if (knobs.reasoning === false || intent.reasoning === 'disabled') return false;
  return intent.reasoning === 'requested' || knobs.reasoning === true;
}

/** Cuts a JSON text to what `budget` tokens hold. */
function cutToBudget(text: string, budget: number): string {
  return textTokens(text) <= budget ? text : text.slice(0, budget * 4);
}

/**
 * Decides the whole answer of a chat request before any byte is sent: reasoning, then tool calls, a JSON answer or
 * text, each within max tokens (reasoning first, as real models spend it), and the usage to report.
 */
export function planChat(intent: ChatIntent, knobs: EffectiveKnobs, promptCache?: PromptCache): GenerationPlan {
  const seed = requestSeed(intent.model, intent.lastUserText);
  let budget = intent.maxTokens ?? Number.POSITIVE_INFINITY;

  let reasoning: GenerationPlan['reasoning'];
  if (reasoningOn(intent, knobs)) {
    const count = Math.max(0, Math.min(knobs.reasoningTokens, intent.reasoningBudget ?? Number.POSITIVE_INFINITY, budget));
    if (count > 0) {
      const words = wordsFor(deriveSeed(seed, 'reasoning'), count);
      const text = words.join(' ');
      reasoning = { words, text, signature: signatureFor(text) };
      budget -= count;
    }
  }
  const reasoningTokens = reasoning?.words.length ?? 0;

  let content: ContentPlan;
  let finish: GenerationPlan['finish'] = 'stop';
  const tools = chosenTools(intent);
  if (tools.length > 0) {
    const calls: ToolCallPlan[] = [];
    for (const [index, tool] of tools.entries()) {
      const value = jsonFromSchema(tool.parameters ?? { type: 'object', properties: {} }, deriveSeed(seed, `tool:${index}:${tool.name}`));
      const full = JSON.stringify(typeof value === 'object' && value !== null && !Array.isArray(value) ? value : {});
      const cut = cutToBudget(full, Math.max(0, budget));
      // A complete call's arguments come out malformed the way the knob says, as weaker models' tool calls do.
      const argumentsText = cut.length === full.length ? malformed(cut, knobs.malformedJson) : cut;
      const tokens = textTokens(argumentsText);
      budget -= tokens;
      calls.push({ idSuffix: base62Id(deriveSeed(seed, `call:${index}`), 24), name: tool.name, arguments: argumentsText, tokens });
      if (cut.length < full.length) {
        finish = 'length';
        break;
      }
    }
    content = { type: 'tool_calls', calls };
    if (finish !== 'length') finish = 'tool_calls';
  } else if (intent.output.type !== 'text') {
    const value =
      intent.output.type === 'json_schema'
        ? jsonFromSchema(intent.output.schema, deriveSeed(seed, 'json'))
        : { answer: wordsFor(seed, Math.max(1, Math.min(knobs.completionTokens, 16))).join(' ') };
    const full = JSON.stringify(value);
    const cut = cutToBudget(full, Math.max(0, budget));
    if (cut.length < full.length) finish = 'length';
    const text = malformed(cut, knobs.malformedJson);
    content = { type: 'json', text, tokens: textTokens(text) };
  } else {
    const wanted = knobs.completionTokens;
    const count = Math.max(0, Math.min(wanted, budget));
    if (count < wanted) finish = 'length';
    content = { type: 'text', words: wordsFor(seed, count) };
  }

  const contentTokens = content.type === 'text' ? content.words.length : content.type === 'json' ? content.tokens : content.calls.reduce((sum, call) => sum + call.tokens, 0);
  const ratio = knobs.cachedRatio > 0 ? knobs.cachedRatio : intent.cache.marked ? DEFAULT_MARKED_CACHE_RATIO : 0;
  const cached = Math.floor(intent.promptTokens * ratio);
  const writes = cached > 0 && intent.cache.key !== undefined && promptCache !== undefined && promptCache.firstSeen(`${intent.model}\u0000${intent.cache.key}`);
  return {
    seed,
    reasoning,
    content,
    finish,
    usage: {
      promptTokens: intent.promptTokens,
      cachedTokens: writes ? 0 : cached,
      cacheWriteTokens: writes ? cached : 0,
      completionTokens: reasoningTokens + contentTokens,
      reasoningTokens,
    },
  };
}

/** The answer's visible text (text or JSON content; empty for tool calls). */
export function contentText(plan: GenerationPlan): string {
  return plan.content.type === 'text' ? plan.content.words.join(' ') : plan.content.type === 'json' ? plan.content.text : '';
}

/** A JSON answer spoiled the way the `malformedJson` knob says (see knobs.schema.ts). */
function malformed(text: string, how: EffectiveKnobs['malformedJson']): string {
  switch (how) {
    case 'fenced':
      return `\`\`\`json\n${text}\n\`\`\``;
    case 'prose':
      return `Here is the JSON you asked for:\n${text}`;
    case 'unclosed':
      return text.endsWith('}') ? text.slice(0, -1) : text;
    default:
      return text;
  }
}
