import { AhoCorasick } from '@monyone/aho-corasick/greedy';
import { ForbiddenError, type Guardrails } from '@switchyard/contracts';
import type { CanonicalChatRequest } from '@switchyard/llm-spec';

type Detector = Guardrails['detectors'][number];

/**
 * What each detector finds. Every expression is anchored on a fixed prefix or bounded, so a hostile prompt cannot
 * make one backtrack for long (no user-supplied expressions: keywords are plain text).
 */
const PATTERNS: Readonly<Record<Exclude<Detector, 'credit_card'>, RegExp>> = {
  // OpenAI/Anthropic/Switchyard-style secret keys, GitHub and Slack tokens, Google API keys.
  api_key: /\b(?:sk|rk|pk)-[A-Za-z0-9_-]{20,}|\bgh[pousr]_[A-Za-z0-9]{30,}|\bxox[abprs]-[A-Za-z0-9-]{10,}|\bAIza[0-9A-Za-z_-]{35}/,
  aws_access_key: /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/,
  private_key: /-----BEGIN (?:[A-Z0-9]+ ){0,3}PRIVATE KEY-----/,
  email: /(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){0,8}\.[A-Za-z]{2,24}\b/,
};

const CARD_CANDIDATE = /(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)/g;

/** A card number: 13 to 19 digits (spaces or dashes between them) that pass the Luhn check. */
function containsCardNumber(text: string): boolean {
  for (const match of text.matchAll(CARD_CANDIDATE)) {
    const digits = match[0].replace(/[ -]/g, '');
    if (digits.length >= 13 && digits.length <= 19 && luhn(digits)) return true;
  }
  return false;
}

function luhn(digits: string): boolean {
  let sum = 0;
  for (let index = 0; index < digits.length; index++) {
    let digit = digits.charCodeAt(digits.length - 1 - index) - 48;
    if (index % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}

const LABEL: Readonly<Record<Detector, string>> = {
  api_key: 'an API key',
  aws_access_key: 'an AWS access key',
  private_key: 'a private key',
  credit_card: 'a card number',
  email: 'an email address',
};

/** The text a request sends upstream: every message's text and every tool call's arguments. */
function promptText(request: Pick<CanonicalChatRequest, 'messages'>): string {
  const parts: string[] = [];
  for (const message of request.messages) {
    const content = message.content as unknown;
    if (typeof content === 'string') parts.push(content);
    else if (Array.isArray(content)) for (const part of content as Array<{ type?: string; text?: unknown }>) if (part.type === 'text' && typeof part.text === 'string') parts.push(part.text);
    const calls = (message as { tool_calls?: Array<{ function?: { arguments?: unknown } }> }).tool_calls;
    if (calls) for (const call of calls) if (typeof call.function?.arguments === 'string') parts.push(call.function.arguments);
  }
  return parts.join('\n');
}

/** What the account's guardrails find in the request: detector names and `keyword:<keyword>` entries. */
export function guardrailFindings(guardrails: Guardrails | undefined, request: Pick<CanonicalChatRequest, 'messages'>): string[] {
  return active(guardrails) ? findingsIn(guardrails, promptText(request)) : [];
}

/** A request after the guardrails: the same one, or (action redact) a copy with each finding replaced by a marker. */
export interface GuardedRequest<T> {
  request: T;
  /** What was redacted (detector names and `keyword:<keyword>`), in the guardrails' order; empty when nothing was. */
  redacted: string[];
}

/**
 * Applies the account's guardrails to a request before anything is served: with `action: "block"` a finding refuses
 * it (403, OpenRouter's guardrail block); with `"redact"` every finding in message texts, text parts and tool-call
 * arguments (JSON string values, so the arguments stay JSON) is replaced by `[REDACTED:<detector>]` or
 * `[REDACTED:keyword]` and the request goes on.
 */
export function applyGuardrails<T extends Pick<CanonicalChatRequest, 'messages'>>(guardrails: Guardrails | null | undefined, request: T, whose: Whose = 'account'): GuardedRequest<T> {
  if (!active(guardrails)) return { request, redacted: [] };
  if (guardrails.action !== 'redact') {
    refuseFindings(findingsIn(guardrails, promptText(request)), whose);
    return { request, redacted: [] };
  }
  const found = new Set<string>();
  const messages = request.messages.map((message) => redactMessage(guardrails, message, found));
  return found.size === 0 ? { request, redacted: [] } : { request: { ...request, messages }, redacted: ordered(guardrails, found) };
}

/** The same for the texts of an embeddings or rerank call (inputs; query and documents). */
export function applyGuardrailsToTexts(guardrails: Guardrails | null | undefined, texts: readonly string[], whose: Whose = 'account'): GuardedRequest<string[]> {
  if (!active(guardrails)) return { request: [...texts], redacted: [] };
  if (guardrails.action !== 'redact') {
    refuseFindings(findingsIn(guardrails, texts.join('\n')), whose);
    return { request: [...texts], redacted: [] };
  }
  const found = new Set<string>();
  const redacted = texts.map((text) => redactText(guardrails, text, found));
  return { request: redacted, redacted: ordered(guardrails, found) };
}

/** The guardrails of a caller: its key's own, then its account's. */
export interface CallerGuardrails {
  key: { guardrails: Guardrails | null };
  account: { guardrails: Guardrails };
}

/**
 * A caller's guardrails in turn, the key's own then the account's: either may block (its refusal says whose); the
 * redactions of both add up.
 */
export function applyCallerGuardrails<T extends Pick<CanonicalChatRequest, 'messages'>>(caller: CallerGuardrails, request: T): GuardedRequest<T> {
  const byKey = applyGuardrails(caller.key.guardrails, request, 'key');
  const byAccount = applyGuardrails(caller.account.guardrails, byKey.request);
  return { request: byAccount.request, redacted: merged(byKey.redacted, byAccount.redacted) };
}

/** The same for the texts of an embeddings or rerank call. */
export function applyCallerGuardrailsToTexts(caller: CallerGuardrails, texts: readonly string[]): GuardedRequest<string[]> {
  const byKey = applyGuardrailsToTexts(caller.key.guardrails, texts, 'key');
  const byAccount = applyGuardrailsToTexts(caller.account.guardrails, byKey.request);
  return { request: byAccount.request, redacted: merged(byKey.redacted, byAccount.redacted) };
}

const merged = (first: readonly string[], second: readonly string[]): string[] => (second.length === 0 ? [...first] : [...new Set([...first, ...second])]);

function active(guardrails: Guardrails | null | undefined): guardrails is Guardrails {
  return guardrails !== undefined && guardrails !== null && (guardrails.detectors.length > 0 || guardrails.keywords.length > 0);
}

function findingsIn(guardrails: Guardrails, text: string): string[] {
  const findings: string[] = [];
  for (const detector of guardrails.detectors) {
    if (detector === 'credit_card' ? containsCardNumber(text) : PATTERNS[detector].test(text)) findings.push(detector);
  }
  if (guardrails.keywords.length > 0) for (const keyword of keywordsIn(guardrails.keywords, text)) findings.push(`keyword:${keyword}`);
  return findings;
}

/** Whose guardrails refused: the account's, or the API key's own. */
type Whose = 'account' | 'key';

function refuseFindings(findings: string[], whose: Whose): void {
  if (findings.length === 0) return;
  const what = findings.map((finding) => (finding.startsWith('keyword:') ? `the blocked keyword "${finding.slice('keyword:'.length)}"` : LABEL[finding as Detector]));
  throw new ForbiddenError(`Request blocked: the prompt contains ${what.join(', ')} (${whose === 'key' ? "the API key's" : "the account's"} guardrails)`, { patterns: findings, reason: 'guardrail' });
}

// ---------------------------------------------------------------------------------------------------------------
// Redaction

/** What each detector replaces: its expression, global, and for private keys the whole block (to its END line). */
const REDACT: Readonly<Record<Exclude<Detector, 'credit_card'>, RegExp>> = {
  api_key: new RegExp(PATTERNS.api_key.source, 'g'),
  aws_access_key: new RegExp(PATTERNS.aws_access_key.source, 'g'),
  // To the END line, or to the end of the text when there is none (each match consumes what it scans: linear).
  private_key: /-----BEGIN (?:[A-Z0-9]+ ){0,3}PRIVATE KEY-----[\s\S]*?(?:-----END (?:[A-Z0-9]+ ){0,3}PRIVATE KEY-----|$)/g,
  email: new RegExp(PATTERNS.email.source, 'g'),
};

// ---------------------------------------------------------------------------------------------------------------
// Keywords: case-insensitive plain text, found in time linear in the text whatever the account configured

/**
 * Up to this many characters × keywords, each keyword is searched on its own (`includes`, one expression for
 * redaction): the fastest for ordinary prompts. Past it, one Aho–Corasick automaton finds them all in a single pass,
 * so a long prompt against many long keywords cannot hold the event loop for seconds.
 */
const KEYWORD_SCAN_BUDGET = 4_000_000;
/** The automaton reads a long text in windows of this many characters (bounded memory; an early stop). */
const KEYWORD_WINDOW = 1 << 18;

interface KeywordSet {
  originals: readonly string[];
  lowered: readonly string[];
  byLowered: ReadonlyMap<string, string>;
  longest: number;
  expression?: RegExp;
  automaton?: AhoCorasick;
}

const keywordSets = new WeakMap<readonly string[], KeywordSet>();

/** The account's (or key's) keywords, prepared once per list. */
function keywordSet(keywords: readonly string[]): KeywordSet {
  let set = keywordSets.get(keywords);
  if (!set) {
    const lowered = keywords.map((keyword) => lowerSameLength(keyword));
    set = { originals: keywords, lowered, byLowered: new Map(lowered.map((lower, index) => [lower, keywords[index]!])), longest: Math.max(...lowered.map((lower) => lower.length)) };
    keywordSets.set(keywords, set);
  }
  return set;
}

/** Lower case that keeps every offset (the rare character whose lower case is longer is left as it is). */
function lowerSameLength(text: string): string {
  const lower = text.toLowerCase();
  if (lower.length === text.length) return lower;
  let result = '';
  for (const character of text) {
    const lowered = character.toLowerCase();
    result += lowered.length === character.length ? lowered : character;
  }
  return result;
}

/** The keywords `text` contains, in the list's order (`budget`: see KEYWORD_SCAN_BUDGET). */
export function keywordsIn(keywords: readonly string[], text: string, budget = KEYWORD_SCAN_BUDGET): string[] {
  const set = keywordSet(keywords);
  const lower = lowerSameLength(text);
  if (lower.length * keywords.length <= budget) return set.originals.filter((_, index) => lower.includes(set.lowered[index]!));
  const found = new Set<string>();
  forEachKeywordMatch(set, lower, (match) => {
    found.add(match.keyword);
    return found.size < set.byLowered.size;
  });
  return set.originals.filter((_, index) => found.has(set.lowered[index]!));
}

/** `text` with every keyword (leftmost, longest first) replaced by the marker; the keywords found go into `found`. */
export function redactKeywords(keywords: readonly string[], text: string, found: Set<string>, budget = KEYWORD_SCAN_BUDGET): string {
  const set = keywordSet(keywords);
  if (text.length * keywords.length <= budget) {
    set.expression ??= new RegExp([...set.lowered].sort((a, b) => b.length - a.length).map((keyword) => keyword.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')).join('|'), 'gi');
    return text.replace(set.expression, (match) => {
      found.add(`keyword:${set.byLowered.get(lowerSameLength(match)) ?? match}`);
      return '[REDACTED:keyword]';
    });
  }
  const pieces: string[] = [];
  let at = 0;
  forEachKeywordMatch(set, lowerSameLength(text), (match) => {
    pieces.push(text.slice(at, match.begin), '[REDACTED:keyword]');
    at = match.end;
    found.add(`keyword:${set.byLowered.get(match.keyword) ?? match.keyword}`);
    return true;
  });
  pieces.push(text.slice(at));
  return pieces.join('');
}

/**
 * The keywords' non-overlapping leftmost-longest matches in `lower`, in order, found by the Aho–Corasick automaton
 * window by window (each window read with enough of the next to finish a match that begins in it); `visit` returning
 * false stops the scan.
 */
function forEachKeywordMatch(set: KeywordSet, lower: string, visit: (match: { begin: number; end: number; keyword: string }) => boolean): void {
  set.automaton ??= new AhoCorasick([...set.byLowered.keys()]);
  let start = 0;
  while (start < lower.length) {
    const windowEnd = Math.min(lower.length, start + KEYWORD_WINDOW);
    let next = windowEnd;
    for (const match of set.automaton.matchInText(lower.slice(start, Math.min(lower.length, windowEnd + set.longest - 1)))) {
      if (start + match.begin >= windowEnd) break; // begins in the next window: found there
      if (!visit({ begin: start + match.begin, end: start + match.end, keyword: match.keyword })) return;
      next = Math.max(next, start + match.end);
    }
    start = next;
  }
}

function redactText(guardrails: Guardrails, text: string, found: Set<string>): string {
  let result = text;
  for (const detector of guardrails.detectors) {
    if (detector === 'credit_card') {
      result = result.replace(CARD_CANDIDATE, (match) => {
        const digits = match.replace(/[ -]/g, '');
        if (digits.length < 13 || digits.length > 19 || !luhn(digits)) return match;
        found.add(detector);
        return '[REDACTED:credit_card]';
      });
    } else {
      result = result.replace(REDACT[detector], () => {
        found.add(detector);
        return `[REDACTED:${detector}]`;
      });
    }
  }
  if (guardrails.keywords.length > 0) result = redactKeywords(guardrails.keywords, result, found);
  return result;
}

/** Tool-call arguments are JSON: redact its string values (keys too) so it stays JSON; text that does not parse as text. */
function redactArguments(guardrails: Guardrails, text: string, found: Set<string>): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return redactText(guardrails, text, found);
  }
  let changed = false;
  const redactString = (value: string): string => {
    const redacted = redactText(guardrails, value, found);
    if (redacted !== value) changed = true;
    return redacted;
  };
  const walk = (value: unknown): unknown => {
    if (typeof value === 'string') return redactString(value);
    if (Array.isArray(value)) return value.map(walk);
    if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, item]) => [redactString(key), walk(item)]));
    return value;
  };
  const redacted = walk(parsed);
  // Unchanged arguments keep their exact text (formatting included).
  return changed ? JSON.stringify(redacted) : text;
}

function redactMessage<M extends CanonicalChatRequest['messages'][number]>(guardrails: Guardrails, message: M, found: Set<string>): M {
  const content = message.content as unknown;
  let changed: Record<string, unknown> | undefined;
  if (typeof content === 'string') {
    const redacted = redactText(guardrails, content, found);
    if (redacted !== content) changed = { content: redacted };
  } else if (Array.isArray(content)) {
    let any = false;
    const parts = (content as Array<{ type?: string; text?: unknown }>).map((part) => {
      if (part.type !== 'text' || typeof part.text !== 'string') return part;
      const text = redactText(guardrails, part.text, found);
      if (text === part.text) return part;
      any = true;
      return { ...part, text };
    });
    if (any) changed = { content: parts };
  }
  const calls = (message as { tool_calls?: Array<{ function?: { arguments?: unknown } }> }).tool_calls;
  if (calls) {
    let any = false;
    const redactedCalls = calls.map((call) => {
      const args = call.function?.arguments;
      if (typeof args !== 'string') return call;
      const redacted = redactArguments(guardrails, args, found);
      if (redacted === args) return call;
      any = true;
      return { ...call, function: { ...call.function, arguments: redacted } };
    });
    if (any) changed = { ...changed, tool_calls: redactedCalls };
  }
  return changed ? ({ ...message, ...changed } as M) : message;
}

/** Findings in the order the guardrails list them (detectors, then keywords). */
function ordered(guardrails: Guardrails, found: ReadonlySet<string>): string[] {
  return [...guardrails.detectors.filter((detector) => found.has(detector)), ...guardrails.keywords.map((keyword) => `keyword:${keyword}`).filter((entry) => found.has(entry))];
}
