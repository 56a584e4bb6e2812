import { fetchJson, startSimulator, type RunningSimulator, validatorOf } from './simulator-harness.js';

/** Server-sent events of a Gemini `alt=sse` stream, parsed. */
function sseEvents(text: string): Array<Record<string, any>> {
  return text
    .split(/\r?\n\r?\n/)
    .map((block) => block.trim())
    .filter((block) => block.startsWith('data: '))
    .map((block) => JSON.parse(block.slice(6)));
}

describe('Gemini wire format (plain fetch)', () => {
  let simulator: RunningSimulator;
  let models: string;

  beforeAll(async () => {
    simulator = await startSimulator();
    models = `${simulator.upstream}/gemini/v1beta/models`;
  });

  afterAll(async () => {
    await simulator.close();
  });

  const post = (url: string, body: unknown, headers: Record<string, string> = { 'x-goog-api-key': 'any' }) =>
    fetchJson(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

  it('generates content with usageMetadata, for a model id with a slash (URL-encoded) and a ?key= key', async () => {
    const response = await post(`${models}/${encodeURIComponent('google/gemini-2.5-flash')}:generateContent?key=abc`, { contents: [{ role: 'user', parts: [{ text: 'Hello Gemini' }] }] }, {});
    expect(response.status).toBe(200);
    const body = await response.json();
    expect(body.candidates[0]).toMatchObject({ finishReason: 'STOP', index: 0, content: { role: 'model' } });
    expect(body.candidates[0].content.parts[0].text.split(' ')).toHaveLength(24);
    expect(body.usageMetadata).toMatchObject({ promptTokenCount: 3 + 4 + 3, candidatesTokenCount: 24, totalTokenCount: 34 });
    expect(body.modelVersion).toBe('google/gemini-2.5-flash');
  });

  it('streams SSE with thoughts, thoughtSignature, thoughtsTokenCount and cachedContentTokenCount; text equals the non-streamed text', async () => {
    const request = {
      contents: [{ role: 'user', parts: [{ text: 'Think, then answer' }] }],
      cachedContent: 'cachedContents/abc',
      generationConfig: { maxOutputTokens: 30, thinkingConfig: { includeThoughts: true, thinkingBudget: 8 } },
    };
    const whole = await (await post(`${models}/gemini-2.5-flash:generateContent`, request)).json();
    const response = await post(`${models}/gemini-2.5-flash:streamGenerateContent?alt=sse`, request);
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const events = sseEvents(await response.text());
    const parts = events.flatMap((event) => event.candidates[0].content.parts);
    const thoughts = parts.filter((part) => part.thought).map((part) => part.text).join('');
    const text = parts.filter((part) => !part.thought).map((part) => part.text).join('');
    expect(thoughts.split(' ')).toHaveLength(8);
    expect(parts.find((part) => !part.thought).thoughtSignature).toBeTruthy();
    const wholeParts = whole.candidates[0].content.parts;
    expect(wholeParts[0]).toMatchObject({ thought: true, text: thoughts });
    expect(wholeParts[1].text).toBe(text);
    const last = events[events.length - 1];
    expect(last.candidates[0].finishReason).toBe('MAX_TOKENS');
    const prompt = 3 + 4 + Math.ceil('Think, then answer'.length / 4);
    expect(last.usageMetadata).toEqual(whole.usageMetadata);
    expect(last.usageMetadata).toMatchObject({ promptTokenCount: prompt, candidatesTokenCount: 22, thoughtsTokenCount: 8, cachedContentTokenCount: Math.floor(prompt / 2), totalTokenCount: prompt + 30 });
    expect(events.slice(0, -1).every((event) => event.usageMetadata.candidatesTokenCount === undefined)).toBe(true);
  });

  it('streams a JSON array without alt=sse', async () => {
    const response = await post(`${models}/gemini-2.5-flash:streamGenerateContent`, { contents: [{ parts: [{ text: 'array' }] }], generationConfig: { maxOutputTokens: 4 } });
    const chunks = JSON.parse(await response.text());
    expect(Array.isArray(chunks)).toBe(true);
    expect(chunks).toHaveLength(4);
  });

  it('calls a function (ANY mode) with schema-valid args, then answers text after the functionResponse', async () => {
    const parameters = { type: 'OBJECT', properties: { city: { type: 'STRING' }, days: { type: 'INTEGER', minimum: 1, maximum: 5 } }, required: ['city', 'days'] };
    const tools = [{ functionDeclarations: [{ name: 'forecast', description: 'Forecast', parameters }] }];
    const response = await post(`${models}/gemini-2.5-flash:generateContent`, { contents: [{ role: 'user', parts: [{ text: 'Forecast?' }] }], tools, toolConfig: { functionCallingConfig: { mode: 'ANY' } } });
    const body = await response.json();
    const call = body.candidates[0].content.parts[0].functionCall;
    expect(body.candidates[0].finishReason).toBe('STOP');
    expect(call.name).toBe('forecast');
    expect(typeof call.args.city).toBe('string');
    expect(call.args.days).toBeGreaterThanOrEqual(1);
    expect(call.args.days).toBeLessThanOrEqual(5);

    const followUp = await post(`${models}/gemini-2.5-flash:generateContent`, {
      contents: [
        { role: 'user', parts: [{ text: 'Forecast?' }] },
        { role: 'model', parts: [{ functionCall: call }] },
        { role: 'user', parts: [{ functionResponse: { name: 'forecast', response: { result: 'rain' } } }] },
      ],
      tools,
      toolConfig: { functionCallingConfig: { mode: 'ANY' } },
    });
    const answer = await followUp.json();
    expect(typeof answer.candidates[0].content.parts[0].text).toBe('string');
  });

  it('answers JSON valid against responseJsonSchema', async () => {
    const schema = { type: 'object', properties: { colors: { type: 'array', items: { type: 'string' }, minItems: 2 } }, required: ['colors'] };
    const response = await post(`${models}/gemini-2.5-flash:generateContent`, {
      contents: [{ parts: [{ text: 'Colors' }] }],
      generationConfig: { responseMimeType: 'application/json', responseJsonSchema: schema },
    });
    const body = await response.json();
    expect(validatorOf(schema).safeParse(JSON.parse(body.candidates[0].content.parts[0].text)).success).toBe(true);
  });

  it('embeds single and batched contents', async () => {
    const single = await (await post(`${models}/text-embedding-004:embedContent`, { content: { parts: [{ text: 'alpha' }] } })).json();
    expect(single.embedding.values).toHaveLength(8);
    const batch = await (
      await post(`${models}/text-embedding-004:batchEmbedContents`, {
        requests: [
          { model: 'models/text-embedding-004', content: { parts: [{ text: 'alpha' }] } },
          { model: 'models/text-embedding-004', content: { parts: [{ text: 'beta' }] }, outputDimensionality: 4 },
        ],
      })
    ).json();
    expect(batch.embeddings[0].values).toEqual(single.embedding.values);
    expect(batch.embeddings[1].values).toHaveLength(4);
  });

  it("answers errors in Google's shape", async () => {
    const noKey = await post(`${models}/gemini-2.5-flash:generateContent`, { contents: [] }, {});
    expect(noKey.status).toBe(403);
    expect(await noKey.json()).toMatchObject({ error: { code: 403, status: 'PERMISSION_DENIED' } });
    const invalid = await post(`${models}/gemini-2.5-flash:generateContent`, { contents: [] });
    expect(invalid.status).toBe(400);
    expect(await invalid.json()).toMatchObject({ error: { code: 400, status: 'INVALID_ARGUMENT' } });
    const unknown = await post(`${models}/gemini-2.5-flash:countTokens`, {});
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: { code: 404, status: 'NOT_FOUND' } });
  });
});
