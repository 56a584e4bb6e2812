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

/** Refuses (403, OpenRouter's guardrail block) a request the account's guardrails find something in. */
export function enforceGuardrails(guardrails: Guardrails | undefined, request: Pick<CanonicalChatRequest, 'messages'>): void {
  if (active(guardrails)) refuseFindings(findingsIn(guardrails, promptText(request)));
}

/** The same for the texts of an embeddings or rerank call (inputs; query and documents). */
export function enforceGuardrailsOnTexts(guardrails: Guardrails | undefined, texts: readonly string[]): void {
  if (active(guardrails)) refuseFindings(findingsIn(guardrails, texts.join('\n')));
}

function active(guardrails: Guardrails | undefined): guardrails is Guardrails {
  return guardrails !== undefined && (guardrails.detectors.length > 0 || guardrails.keywords.length > 0);
}

function findingsIn(guardrails: Guardrails, text: string): string[] {
  const findings: string[] = [];
  for (const detector of guardrails.detectors) {
    if (detector === 'credit_card' ? containsCardNumber(text) : PATTERNS[detector].test(text)) findings.push(detector);
  }
  if (guardrails.keywords.length > 0) {
    const lower = text.toLowerCase();
    for (const keyword of guardrails.keywords) if (lower.includes(keyword.toLowerCase())) findings.push(`keyword:${keyword}`);
  }
  return findings;
}

function refuseFindings(findings: string[]): void {
  if (findings.length === 0) return;
  const what = findings.map((finding) => (finding.startsWith('keyword:') ? `the blocked keyword "${finding.slice('keyword:'.length)}"` : LABEL[finding as Detector]));
  throw new ForbiddenError(`Request blocked: the prompt contains ${what.join(', ')} (the account's guardrails)`, { patterns: findings, reason: 'guardrail' });
}
