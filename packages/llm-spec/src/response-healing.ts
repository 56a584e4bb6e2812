import { jsonrepair } from 'jsonrepair';
import type { CanonicalChatRequest } from './chat-request.js';
import type { ChatResult } from './result.js';

/** The plugin's id; `response_healing` (the spelling of some peers) is accepted too. */
const PLUGIN_IDS: ReadonlySet<string> = new Set(['response-healing', 'response_healing']);

/** The plugin is listed (and not `enabled: false`) on a request whose answer is not streamed. */
function healingOn(request: Pick<CanonicalChatRequest, 'plugins' | 'stream'>): boolean {
  if (request.stream) return false;
  const plugin = request.plugins?.find((candidate) => PLUGIN_IDS.has(candidate.id));
  return plugin !== undefined && plugin.enabled !== false;
}

/**
 * Whether OpenRouter's response-healing plugin applies to a request's text: the plugin is listed (and not
 * `enabled: false`), the request asks for JSON (`response_format` `json_object` or `json_schema`), and the answer is
 * not streamed (a stream's chunks are out before the whole text is known).
 */
export function responseHealingRequested(request: Pick<CanonicalChatRequest, 'plugins' | 'response_format' | 'stream'>): boolean {
  const format = request.response_format?.type;
  return (format === 'json_object' || format === 'json_schema') && healingOn(request);
}

/**
 * Heals a whole answer in place when the request asked for it: its text when the request wants JSON (see
 * `responseHealingRequested`, `healJson`), and — Switchyard's extension, for agents — the arguments of its tool
 * calls, which must be a JSON object whatever the `response_format` (arguments that are empty or already parse are
 * left alone). True when anything changed. A failed answer is left alone.
 */
export function healResult(request: Pick<CanonicalChatRequest, 'plugins' | 'response_format' | 'stream'>, result: ChatResult): boolean {
  if (result.error || !healingOn(request)) return false;
  let changed = false;
  if (result.text !== '' && responseHealingRequested(request)) {
    const healed = healJson(result.text);
    if (healed !== undefined) {
      result.text = healed;
      changed = true;
    }
  }
  for (const call of result.toolCalls) {
    const args = call.function.arguments;
    if (args.trim() === '') continue;
    const healed = healJson(args);
    if (healed !== undefined && healed.startsWith('{')) {
      call.function.arguments = healed;
      changed = true;
    }
  }
  return changed;
}

const FENCED = /```[a-zA-Z]*[ \t]*\r?\n?([\s\S]*?)(?:```|$)/;

/**
 * Repairs an answer that should be a JSON object or array but does not parse: extracts it from a markdown code
 * block or from prose around it, then fixes the syntax (missing brackets of a cut-off answer, trailing commas,
 * unquoted keys, single quotes, comments) with `jsonrepair`. Returns the repaired JSON text, or undefined when the
 * text already parses or no object or array can be made of it (the answer is then left as it is).
 */
export function healJson(text: string): string | undefined {
  if (isJsonContainer(text)) return undefined;
  for (const candidate of candidates(text)) {
    const trimmed = candidate.trim();
    if (isJsonContainer(trimmed)) return trimmed;
    try {
      const repaired = jsonrepair(trimmed).trim();
      if (isJsonContainer(repaired)) return repaired;
    } catch {
      // not this candidate
    }
  }
  return undefined;
}

/** The parts of the text that may hold the JSON, the most specific first. */
function* candidates(text: string): Generator<string> {
  const fenced = FENCED.exec(text);
  if (fenced?.[1]) yield fenced[1];
  const open = firstOpener(text);
  if (open < 0) return;
  const close = Math.max(text.lastIndexOf('}'), text.lastIndexOf(']'));
  if (close > open) yield text.slice(open, close + 1);
  // A cut-off answer has no closing bracket after its last value: everything from the first one on.
  yield text.slice(open);
}

function firstOpener(text: string): number {
  const brace = text.indexOf('{');
  const bracket = text.indexOf('[');
  if (brace < 0) return bracket;
  if (bracket < 0) return brace;
  return Math.min(brace, bracket);
}

function isJsonContainer(text: string): boolean {
  const first = text.trimStart()[0];
  if (first !== '{' && first !== '[') return false;
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
