import { GoogleGenAI, FunctionCallingConfigMode, Type } from '@google/genai';
import { getGlobalDispatcher } from 'undici';
import { startSimulator, type RunningSimulator } from './simulator-harness.js';

// The SDK reads undici's global dispatcher from globalThis, which Node creates lazily on its own global; Jest runs
// tests in a separate global, so create it there (a plain process has it as soon as fetch is used).
getGlobalDispatcher();

/** The official Google Gen AI SDK against the simulator's Gemini wire format, unmodified. */
describe('Gemini wire format (the official @google/genai SDK)', () => {
  let simulator: RunningSimulator;
  let ai: GoogleGenAI;

  beforeAll(async () => {
    simulator = await startSimulator();
    ai = new GoogleGenAI({ apiKey: 'sim-key', httpOptions: { baseUrl: `${simulator.upstream}/gemini`, apiVersion: 'v1beta' } });
  });

  afterAll(async () => {
    await simulator.close();
  });

  it('generates content with usage the simulator counted', async () => {
    await simulator.reset();
    const response = await ai.models.generateContent({ model: 'gemini-2.5-flash', contents: 'Hello from the Gemini SDK', config: { maxOutputTokens: 8 } });
    expect(response.text?.split(' ').length).toBe(8);
    expect(response.candidates?.[0]?.finishReason).toBe('MAX_TOKENS');
    const usage = (await simulator.usage()).models['gemini-2.5-flash'];
    expect(response.usageMetadata?.promptTokenCount).toBe(usage?.promptTokens);
    expect(response.usageMetadata?.candidatesTokenCount).toBe(usage?.completionTokens);
  });

  it('streams the same text as the whole answer', async () => {
    const request = { model: 'gemini-2.5-flash', contents: 'Stream from the Gemini SDK' };
    const whole = await ai.models.generateContent(request);
    let streamed = '';
    let chunks = 0;
    for await (const chunk of await ai.models.generateContentStream(request)) {
      streamed += chunk.text ?? '';
      chunks += 1;
    }
    expect(chunks).toBeGreaterThan(1);
    expect(streamed).toBe(whole.text);
  });

  it('calls a declared function with arguments that fit its schema', async () => {
    const response = await ai.models.generateContent({
      model: 'gemini-2.5-flash',
      contents: 'What is the weather in Paris?',
      config: {
        tools: [{ functionDeclarations: [{ name: 'get_weather', parameters: { type: Type.OBJECT, properties: { city: { type: Type.STRING } }, required: ['city'] } }] }],
        toolConfig: { functionCallingConfig: { mode: FunctionCallingConfigMode.ANY, allowedFunctionNames: ['get_weather'] } },
      },
    });
    const call = response.functionCalls?.[0];
    expect(call?.name).toBe('get_weather');
    expect(typeof (call?.args as { city?: unknown } | undefined)?.city).toBe('string');
  });

  it('embeds text', async () => {
    const response = await ai.models.embedContent({ model: 'gemini-embedding-001', contents: 'embed me' });
    expect(response.embeddings?.[0]?.values?.length).toBeGreaterThan(0);
  });
});
