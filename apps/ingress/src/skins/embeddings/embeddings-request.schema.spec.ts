import { BadRequestError, GatewayError } from '@switchyard/contracts';
import { parseEmbeddingsRequest } from './embeddings-request.schema.js';
import { inputTokenEstimates } from './embeddings-generation.js';

function refusal(body: unknown): GatewayError {
  try {
    parseEmbeddingsRequest(body);
  } catch (error) {
    if (GatewayError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected a 400');
}

describe('parseEmbeddingsRequest', () => {
  it('normalises every OpenAI input form to a list', () => {
    expect(parseEmbeddingsRequest({ model: 'openai/text-embedding-3-small', input: 'hello' })).toEqual({ model: 'openai/text-embedding-3-small', input: ['hello'], encodingFormat: 'float' });
    expect(parseEmbeddingsRequest({ model: 'm/x', input: ['a', 'b'] }).input).toEqual(['a', 'b']);
    expect(parseEmbeddingsRequest({ model: 'm/x', input: [1, 2, 3] }).input).toEqual([[1, 2, 3]]);
    expect(parseEmbeddingsRequest({ model: 'm/x', input: [[1, 2], [3]] }).input).toEqual([[1, 2], [3]]);
  });

  it("keeps OpenRouter's fields and OpenAI's options, and ignores unknown ones", () => {
    const parsed = parseEmbeddingsRequest({
      model: 'openai/text-embedding-3-small',
      input: 'x',
      dimensions: 256,
      encoding_format: 'base64',
      input_type: 'search_query',
      user: 'user-42',
      provider: { order: ['openai'], allow_fallbacks: false },
      models: ['openai/text-embedding-3-large'],
      something_new: true,
    });
    expect(parsed).toEqual({
      model: 'openai/text-embedding-3-small',
      input: ['x'],
      dimensions: 256,
      encodingFormat: 'base64',
      inputType: 'search_query',
      user: 'user-42',
      provider: { order: ['openai'], allow_fallbacks: false },
      models: ['openai/text-embedding-3-large'],
    });
    expect(parseEmbeddingsRequest({ model: 'm/x', input: 'x', encoding_format: null, dimensions: null }).encodingFormat).toBe('float');
  });

  it('refuses multimodal objects with a 400 that says what to send instead', () => {
    const single = refusal({ model: 'm/x', input: { content: [{ type: 'image_url', image_url: { url: 'https://x.test/a.png' } }] } });
    expect(single).toBeInstanceOf(BadRequestError);
    expect(single.message).toMatch(/^Invalid request: input: multimodal inputs .* send a string, an array of strings, or token arrays$/);
    expect(refusal({ model: 'm/x', input: ['text', { type: 'text', text: 'x' }] }).status).toBe(400);
  });

  it('refuses what OpenAI refuses, naming the field', () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ input: 'x' }, /model/],
      [{ model: 'm/x' }, /input/],
      [{ model: 'm/x', input: '' }, /input/],
      [{ model: 'm/x', input: [] }, /input/],
      [{ model: 'm/x', input: ['a', ''] }, /input\.1: inputs must not be empty/],
      [{ model: 'm/x', input: ['a', 1] }, /input/],
      [{ model: 'm/x', input: [1.5] }, /input/],
      [{ model: 'm/x', input: [[-1]] }, /input/],
      [{ model: 'm/x', input: [[]] }, /input/],
      [{ model: 'm/x', input: Array(2049).fill('a') }, /input/],
      [{ model: 'm/x', input: 'x', dimensions: 0 }, /dimensions/],
      [{ model: 'm/x', input: 'x', dimensions: 1.5 }, /dimensions/],
      [{ model: 'm/x', input: 'x', encoding_format: 'int8' }, /encoding_format/],
      [{ model: 'm/x', input: 'x', provider: { order: 'openai' } }, /provider\.order/],
      ['not an object', /body/],
    ];
    for (const [body, pattern] of cases) {
      const error = refusal(body);
      expect(error.status).toBe(400);
      expect(error.message).toMatch(pattern);
    }
  });
});

describe('inputTokenEstimates', () => {
  it('counts a quarter token per character per string and one per token id', () => {
    expect(inputTokenEstimates(['hello there', 'abcd', 'abcde'])).toEqual([3, 1, 2]);
    expect(inputTokenEstimates([[1, 2, 3], [4]])).toEqual([3, 1]);
  });
});
