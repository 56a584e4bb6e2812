import type { Guardrails } from '@switchyard/contracts';
import type { CanonicalChatRequest } from '@switchyard/llm-spec';
import { enforceGuardrails, enforceGuardrailsOnTexts, guardrailFindings } from './guardrails.js';

const every: Guardrails = { detectors: ['api_key', 'aws_access_key', 'private_key', 'credit_card', 'email'], keywords: [] };
const ask = (...contents: string[]): Pick<CanonicalChatRequest, 'messages'> => ({ messages: contents.map((content) => ({ role: 'user' as const, content })) });

describe('guardrails', () => {
  it.each([
    ['an OpenAI-style secret key', 'my key is sk-proj-AbCdEfGhIjKlMnOpQrStUvWx', 'api_key'],
    ['a Switchyard key', `use sk-sy-v1-${'de'.repeat(32)} please`, 'api_key'],
    ['a GitHub token', `ghp_${'a1B2'.repeat(9)}`, 'api_key'],
    ['an AWS access key', 'AKIAIOSFODNN7EXAMPLE is the id', 'aws_access_key'],
    ['a private key', '-----BEGIN RSA PRIVATE KEY-----\nMIIE...', 'private_key'],
    ['a card number with spaces', 'card 4111 1111 1111 1111 exp 12/30', 'credit_card'],
    ['a card number with dashes', '5500-0000-0000-0004', 'credit_card'],
    ['an email address', 'write to jane.doe+ops@example.co.uk today', 'email'],
  ])('finds %s', (_name, text, detector) => {
    expect(guardrailFindings(every, ask(text))).toEqual([detector]);
  });

  it('leaves ordinary text alone: numbers that fail the Luhn check, short sk- words, an @ without a domain', () => {
    expect(guardrailFindings(every, ask('order 4111 1111 1111 1112 shipped; call me @ noon; the sk-short word; 2026-11-25'))).toEqual([]);
  });

  it('finds keywords case-insensitively, in any message, text parts and tool-call arguments included', () => {
    const guardrails: Guardrails = { detectors: [], keywords: ['Project Falcon'] };
    expect(guardrailFindings(guardrails, ask('hello', 'what is project falcon?'))).toEqual(['keyword:Project Falcon']);
    const parts = { messages: [{ role: 'user' as const, content: [{ type: 'text' as const, text: 'PROJECT FALCON specs' }] }] } as Pick<CanonicalChatRequest, 'messages'>;
    expect(guardrailFindings(guardrails, parts)).toEqual(['keyword:Project Falcon']);
    const toolCall = { messages: [{ role: 'assistant' as const, content: null, tool_calls: [{ id: 'c1', type: 'function' as const, function: { name: 'search', arguments: '{"q":"project falcon"}' } }] }] } as unknown as Pick<CanonicalChatRequest, 'messages'>;
    expect(guardrailFindings(guardrails, toolCall)).toEqual(['keyword:Project Falcon']);
    expect(guardrailFindings({ detectors: [], keywords: [] }, ask('Project Falcon'))).toEqual([]);
  });

  it("refuses with OpenRouter's guardrail block: 403 'Request blocked', metadata.patterns", () => {
    expect(() => enforceGuardrails({ detectors: ['email'], keywords: ['falcon'] }, ask('mail a@b.io about Falcon'))).toThrow(
      expect.objectContaining({ status: 403, message: `Request blocked: the prompt contains an email address, the blocked keyword "falcon" (the account's guardrails)`, metadata: expect.objectContaining({ patterns: ['email', 'keyword:falcon'] }) }),
    );
    expect(() => enforceGuardrails(undefined, ask('a@b.io'))).not.toThrow();
  });

  it('scans the texts of embeddings and rerank calls the same way', () => {
    expect(() => enforceGuardrailsOnTexts({ detectors: [], keywords: ['falcon'] }, ['query', 'a document about Falcon'])).toThrow(expect.objectContaining({ status: 403, metadata: expect.objectContaining({ patterns: ['keyword:falcon'] }) }));
    expect(() => enforceGuardrailsOnTexts({ detectors: ['credit_card'], keywords: [] }, ['nothing here'])).not.toThrow();
  });

  it('takes linear time on hostile input (a megabyte without separators)', () => {
    const hostile = ask('a'.repeat(1_000_000), `${'1 '.repeat(200_000)}`, `${'x.'.repeat(300_000)}@`);
    const started = performance.now();
    expect(guardrailFindings(every, hostile)).toEqual([]);
    expect(performance.now() - started).toBeLessThan(2_000);
  });
});
