import { decodeReasoningDetail, decodeReasoningDetails, encodeReasoningDetail, encodeReasoningDetails, isEncodedReasoning, withoutText, withText } from './reasoning-codec.js';

describe('reasoning codec', () => {
  const gemini = { type: 'reasoning.encrypted' as const, data: 'CiQBVKhc+/=', format: 'google-gemini-v1', id: 'call_1', index: 3 };

  it('round-trips details exactly, in a value no provider signature can look like', () => {
    const encoded = encodeReasoningDetail(gemini);
    expect(isEncodedReasoning(encoded)).toBe(true);
    expect(encoded).toContain(':');
    expect(decodeReasoningDetail(encoded)).toEqual(gemini);
    const list = [gemini, { type: 'reasoning.summary' as const, summary: 'ünïcode ✓', format: 'openai-responses-v1' }];
    expect(decodeReasoningDetails(encodeReasoningDetails(list))).toEqual(list);
  });

  it('treats anything else as the provider’s own value', () => {
    expect(isEncodedReasoning('EqQBCkYIBxgCKkB')).toBe(false);
    expect(decodeReasoningDetail('EqQBCkYIBxgCKkB')).toBeUndefined();
    expect(decodeReasoningDetail('switchyard:v1:not-base64-json')).toBeUndefined();
    expect(decodeReasoningDetail(`switchyard:v1:${Buffer.from('{"type":"bogus"}').toString('base64url')}`)).toBeUndefined();
    expect(decodeReasoningDetails(encodeReasoningDetail(gemini))).toBeUndefined();
  });

  it('moves readable text out of and back into the field its type keeps it in', () => {
    expect(withoutText({ type: 'reasoning.text', text: 'a', signature: 's' })).toEqual({ type: 'reasoning.text', signature: 's' });
    expect(withText({ type: 'reasoning.summary', format: 'f' }, 'sum')).toEqual({ type: 'reasoning.summary', format: 'f', summary: 'sum' });
    expect(withText({ type: 'reasoning.text', format: 'f' }, 'txt')).toEqual({ type: 'reasoning.text', format: 'f', text: 'txt' });
  });
});
