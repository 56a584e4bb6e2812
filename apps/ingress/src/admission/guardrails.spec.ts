import type { Guardrails } from '@switchyard/contracts';
import type { CanonicalChatRequest } from '@switchyard/llm-spec';
import fc from 'fast-check';
import { applyCallerGuardrails, applyCallerGuardrailsToTexts, applyGuardrails, applyGuardrailsToTexts, guardrailFindings, keywordsIn, redactKeywords } from './guardrails.js';

const every: Guardrails = { detectors: ['api_key', 'aws_access_key', 'private_key', 'credit_card', 'email'], keywords: [], action: 'block' };
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
    const guardrails: Guardrails = { detectors: [], keywords: ['Project Falcon'], action: 'block' };
    expect(guardrailFindings(guardrails, ask('hello', 'what is project falcon?'))).toEqual(['keyword:Project Falcon']);
    const parts = { messages: [{ role: 'user' as const, content: [{ type: 'text' as const, text: 'PROJECT FALCON specs' }] }] } as Pick<CanonicalChatRequest, 'messages'>;
    expect(guardrailFindings(guardrails, parts)).toEqual(['keyword:Project Falcon']);
    const toolCall = { messages: [{ role: 'assistant' as const, content: null, tool_calls: [{ id: 'c1', type: 'function' as const, function: { name: 'search', arguments: '{"q":"project falcon"}' } }] }] } as unknown as Pick<CanonicalChatRequest, 'messages'>;
    expect(guardrailFindings(guardrails, toolCall)).toEqual(['keyword:Project Falcon']);
    expect(guardrailFindings({ detectors: [], keywords: [], action: 'block' }, ask('Project Falcon'))).toEqual([]);
  });

  it("refuses with OpenRouter's guardrail block: 403 'Request blocked', metadata.patterns", () => {
    expect(() => applyGuardrails({ detectors: ['email'], keywords: ['falcon'], action: 'block' }, ask('mail a@b.io about Falcon'))).toThrow(
      expect.objectContaining({ status: 403, message: `Request blocked: the prompt contains an email address, the blocked keyword "falcon" (the account's guardrails)`, metadata: expect.objectContaining({ patterns: ['email', 'keyword:falcon'] }) }),
    );
    expect(applyGuardrails(undefined, ask('a@b.io'))).toEqual({ request: ask('a@b.io'), redacted: [] });
  });

  it('scans the texts of embeddings and rerank calls the same way', () => {
    expect(() => applyGuardrailsToTexts({ detectors: [], keywords: ['falcon'], action: 'block' }, ['query', 'a document about Falcon'])).toThrow(expect.objectContaining({ status: 403, metadata: expect.objectContaining({ patterns: ['keyword:falcon'] }) }));
    expect(applyGuardrailsToTexts({ detectors: ['credit_card'], keywords: [], action: 'block' }, ['nothing here'])).toEqual({ request: ['nothing here'], redacted: [] });
  });

  it('takes linear time on hostile input (a megabyte without separators)', () => {
    const hostile = ask('a'.repeat(1_000_000), `${'1 '.repeat(200_000)}`, `${'x.'.repeat(300_000)}@`);
    const started = performance.now();
    expect(guardrailFindings(every, hostile)).toEqual([]);
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  describe('with action redact', () => {
    const redact: Guardrails = { ...every, keywords: ['Project Falcon'], action: 'redact' };

    it('replaces each finding with a marker and goes on, naming what it redacted', () => {
      const secret = 'sk-proj-AbCdEfGhIjKlMnOpQrStUvWx';
      const { request, redacted } = applyGuardrails(redact, ask(`key ${secret}, card 4111 1111 1111 1111, mail jane@example.com`, 'about project FALCON and AKIAIOSFODNN7EXAMPLE'));
      expect(request.messages.map((message) => message.content)).toEqual([
        'key [REDACTED:api_key], card [REDACTED:credit_card], mail [REDACTED:email]',
        'about [REDACTED:keyword] and [REDACTED:aws_access_key]',
      ]);
      expect(redacted).toEqual(['api_key', 'aws_access_key', 'credit_card', 'email', 'keyword:Project Falcon']);
      // Nothing left for the guardrails to find.
      expect(guardrailFindings(redact, request)).toEqual([]);
    });

    it('redacts a private key to its END line (or to the end), text parts, and tool-call arguments as JSON values', () => {
      const pem = '-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----';
      const request = {
        messages: [
          { role: 'user' as const, content: [{ type: 'text' as const, text: `here: ${pem} thanks` }, { type: 'image_url' as const, image_url: { url: 'https://x.test/a.png' } }] },
          { role: 'assistant' as const, content: null, tool_calls: [{ id: 'c1', type: 'function' as const, function: { name: 'send', arguments: '{"to": "jane@example.com", "cc": ["bob@example.org"], "n": 2}' } }] },
          { role: 'user' as const, content: '-----BEGIN PRIVATE KEY-----\nMIIEv (cut off' },
        ],
      } as unknown as Pick<CanonicalChatRequest, 'messages'>;
      const { request: out, redacted } = applyGuardrails(redact, request);
      const [first, second, third] = out.messages as unknown as Array<{ content: unknown; tool_calls?: Array<{ function: { arguments: string } }> }>;
      expect(first!.content).toEqual([{ type: 'text', text: 'here: [REDACTED:private_key] thanks' }, { type: 'image_url', image_url: { url: 'https://x.test/a.png' } }]);
      expect(JSON.parse(second!.tool_calls![0]!.function.arguments)).toEqual({ to: '[REDACTED:email]', cc: ['[REDACTED:email]'], n: 2 });
      expect(third!.content).toBe('[REDACTED:private_key]');
      expect(redacted).toEqual(['private_key', 'email']);
      // The caller's request is not changed.
      expect((request.messages[1] as unknown as { tool_calls: Array<{ function: { arguments: string } }> }).tool_calls[0]!.function.arguments).toContain('jane@example.com');
    });

    it('returns the very same request when nothing is found, and redacts embeddings and rerank texts', () => {
      const clean = ask('an ordinary question');
      expect(applyGuardrails(redact, clean).request).toBe(clean);
      expect(applyGuardrailsToTexts(redact, ['query about project falcon', 'doc 5500-0000-0000-0004'])).toEqual({
        request: ['query about [REDACTED:keyword]', 'doc [REDACTED:credit_card]'],
        redacted: ['credit_card', 'keyword:Project Falcon'],
      });
    });

    it('takes linear time on hostile input too (unterminated private keys, many candidates)', () => {
      const hostile = ask('-----BEGIN PRIVATE KEY-----'.repeat(40_000), `${'4111 '.repeat(100_000)}`, `${'a@b.'.repeat(100_000)}`);
      const started = performance.now();
      applyGuardrails(redact, hostile);
      expect(performance.now() - started).toBeLessThan(3_000);
    });
  });

  describe("a key's own guardrails, with its account's", () => {
    const none: Guardrails = { detectors: [], keywords: [], action: 'block' };

    it("applies the key's first: it may block where the account would not, and its refusal says whose", () => {
      const caller = { key: { guardrails: { detectors: ['email'], keywords: [], action: 'block' } as Guardrails }, account: { guardrails: none } };
      expect(() => applyCallerGuardrails(caller, ask('mail a@b.io'))).toThrow(expect.objectContaining({ status: 403, message: expect.stringContaining("(the API key's guardrails)"), metadata: expect.objectContaining({ patterns: ['email'] }) }));
      expect(applyCallerGuardrails({ ...caller, key: { guardrails: null } }, ask('mail a@b.io')).redacted).toEqual([]);
    });

    it("adds up the redactions of both, and the account's block still applies after the key's redaction", () => {
      const caller = { key: { guardrails: { detectors: ['email'], keywords: [], action: 'redact' } as Guardrails }, account: { guardrails: { detectors: ['api_key'], keywords: ['falcon'], action: 'redact' } as Guardrails } };
      const { request, redacted } = applyCallerGuardrails(caller, ask('mail a@b.io about Falcon'));
      expect(request.messages[0]!.content).toBe('mail [REDACTED:email] about [REDACTED:keyword]');
      expect(redacted).toEqual(['email', 'keyword:falcon']);
      const blocking = { ...caller, account: { guardrails: { detectors: [], keywords: ['falcon'], action: 'block' } as Guardrails } };
      expect(() => applyCallerGuardrails(blocking, ask('mail a@b.io about Falcon'))).toThrow(expect.objectContaining({ message: expect.stringContaining("(the account's guardrails)") }));
      expect(applyCallerGuardrailsToTexts(caller, ['a@b.io', 'falcon'])).toEqual({ request: ['[REDACTED:email]', '[REDACTED:keyword]'], redacted: ['email', 'keyword:falcon'] });
    });
  });

  describe('keywords in long texts (one automaton past the per-keyword budget)', () => {
    it('finds and redacts the same as one search per keyword, across window boundaries too (a property)', () => {
      fc.assert(
        fc.property(fc.array(fc.stringMatching(/^[abAB]{1,6}$/), { minLength: 1, maxLength: 6 }), fc.stringMatching(/^[abAB ]{0,300}$/), (keywords, text) => {
          const unique = [...new Set(keywords)];
          const slow = new Set<string>();
          const fast = new Set<string>();
          const bySearch = redactKeywords(unique, text, slow, Number.POSITIVE_INFINITY);
          const byAutomaton = redactKeywords(unique, text, fast, 0);
          // Finding: the automaton blocks exactly when a search per keyword does, naming some of the same keywords (one
          // that only occurs overlapping a longer match is not named again).
          const named = keywordsIn(unique, text, Number.POSITIVE_INFINITY);
          const namedByAutomaton = keywordsIn(unique, text, 0);
          const sameBlock = (named.length > 0) === (namedByAutomaton.length > 0) && namedByAutomaton.every((keyword) => named.includes(keyword));
          return bySearch === byAutomaton && [...slow].sort().join() === [...fast].sort().join() && sameBlock;
        }),
        { numRuns: 1_000 },
      );
      // A keyword straddling the automaton's 256 Ki-character window boundary is found and redacted whole.
      const text = `${'x'.repeat(262_140)}Project Falcon${'y'.repeat(100)}`;
      const found = new Set<string>();
      expect(redactKeywords(['project falcon'], text, found, 0)).toBe(`${'x'.repeat(262_140)}[REDACTED:keyword]${'y'.repeat(100)}`);
      expect([...found]).toEqual(['keyword:project falcon']);
      expect(keywordsIn(['nope', 'PROJECT FALCON'], text, 0)).toEqual(['PROJECT FALCON']);
    });

    it('keeps offsets where lower-casing would lengthen a character (İ): the right span is redacted either way', () => {
      for (const budget of [Number.POSITIVE_INFINITY, 0]) {
        const found = new Set<string>();
        expect(redactKeywords(['falcon'], 'İİ about Falcon, İ', found, budget)).toBe('İİ about [REDACTED:keyword], İ');
        expect([...found]).toEqual(['keyword:falcon']);
        expect(keywordsIn(['falcon'], 'İ FALCON', budget)).toEqual(['falcon']);
      }
    });

    it('stays linear whatever the keywords: 4 MB against a hundred long look-alike keywords, blocked and redacted', () => {
      const keywords = Array.from({ length: 100 }, (_, index) => `${'a'.repeat(100 + index)}b`);
      const hostile = 'a'.repeat(4_000_000);
      const started = performance.now();
      expect(guardrailFindings({ detectors: [], keywords, action: 'block' }, ask(hostile))).toEqual([]);
      // The leftmost match at the end is the longest keyword (199 a's and the b).
      expect(applyGuardrails({ detectors: [], keywords, action: 'redact' }, ask(`${hostile}b`)).redacted).toEqual([`keyword:${keywords[99]}`]);
      expect(performance.now() - started).toBeLessThan(1_500);
    });
  });
});
