import { jsonrepair } from 'jsonrepair';
import type { CanonicalChatRequest } from './chat-request.js';
import type { ChatResult } from './result.js';

/** The plugin's id; `response_healing` (the spelling of some peers) is accepted too. */
const PLUGIN_IDS: ReadonlySet<string> = new Set(['response-healing', 'response_healing']);

/**
 * Whether OpenRouter's response-healing plugin applies to a request: the plugin is listed (and not
 * `enabled: false`), the request asks for JSON (`response_format` `json_object` or `json_schema`), and the answer is
 * not streamed (a stream's chunks are out before the whole text is known).
 */
export function responseHealingRequested(request: Pick<CanonicalChatRequest, 'plugins' | 'response_format' | 'stream'>): boolean {
  if (request.stream) return false;
  const format = request.response_format?.type;
  if (format !== 'json_object' && format !== 'json_schema') return false;
  const plugin = request.plugins?.find((candidate) => PLUGIN_IDS.has(candidate.id));
  return plugin !== undefined && plugin.enabled !== false;
}

/**
 * Heals a whole answer's text in place when the request asked for it (see `responseHealingRequested`, `healJson`);
 * true when the text changed. A failed answer or one without text is left alone.
 */
export function healResult(request: Pick<CanonicalChatRequest, 'plugins' | 'response_format' | 'stream'>, result: ChatResult): boolean {
  if (result.error || result.text === '' || !responseHealingRequested(request)) return false;
  const healed = healJson(result.text);
  if (healed === undefined) return false;
  result.text = healed;
  return true;
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
