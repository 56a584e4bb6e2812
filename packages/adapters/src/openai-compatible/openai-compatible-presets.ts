/**
 * OpenAI-compatible providers as data (Portkey's "base parameters minus exclusions plus extras"): one transform,
 * many presets. A preset says where the provider lives, how it authenticates, which OpenRouter parameters it takes
 * and under which wire names, and what it accepts beyond plain Chat Completions.
 */

export type AuthStyle = 'bearer' | 'api-key' | 'x-api-key';

export type OpenAiReasoningStyle =
  /** `reasoning_effort` with the levels the provider accepts (efforts are clamped to the nearest). */
  | { style: 'effort'; efforts: readonly string[] }
  /** OpenRouter's own `reasoning` object, forwarded as is. */
  | { style: 'object' }
  /** No reasoning control (reasoning models still reason; their output is still read). */
  | { style: 'none' };

/** Canonical request fields some upstreams take verbatim (OpenRouter as an upstream takes its own routing fields). */
export type PassthroughField = 'provider' | 'cache_control';

export interface OpenAiCompatiblePreset {
  readonly name: string;
  readonly displayName: string;
  readonly defaultBaseUrl: string;
  readonly auth: AuthStyle;
  /** OpenRouter's `supported_parameters` vocabulary; anything else requested is dropped, never forwarded. */
  readonly supportedParameters: readonly string[];
  /** Canonical parameter → the provider's wire field (max_tokens → max_completion_tokens, seed → random_seed). */
  readonly renames: Readonly<Partial<Record<string, string>>>;
  /** Send `stream_options.include_usage` on streams, so usage arrives as a final `choices: []` chunk. */
  readonly streamUsage: boolean;
  readonly reasoning: OpenAiReasoningStyle;
  /** Replay assistant `reasoning` / `reasoning_details` on later turns (the upstream understands them). */
  readonly replayReasoningDetails: boolean;
  /** Keeps the `developer` role; otherwise it becomes `system`. */
  readonly developerRole: boolean;
  /** Keeps `cache_control` on content parts and tools; otherwise it is stripped. */
  readonly cacheControl: boolean;
  /** Keeps a message's `name`; otherwise "{name}: " is prepended to its text. */
  readonly messageName: boolean;
  /** Accepts `file` (PDF) content parts. */
  readonly fileParts: boolean;
  /** Accepts `input_audio` content parts. */
  readonly audioParts: boolean;
  readonly passthrough: readonly PassthroughField[];
}

/** What Chat Completions itself takes: the base every preset starts from. */
export const openAiBaseParameters = [
  'temperature',
  'top_p',
  'max_tokens',
  'stop',
  'seed',
  'tools',
  'tool_choice',
  'parallel_tool_calls',
  'response_format',
  'structured_outputs',
  'reasoning',
  'frequency_penalty',
  'presence_penalty',
  'logit_bias',
  'logprobs',
  'top_logprobs',
] as const;

/** Samplers open-weight hosts (vLLM, SGLang and friends) add. */
const openWeightSamplers = ['top_k', 'repetition_penalty', 'min_p'] as const;

interface PresetDefinition extends Partial<Omit<OpenAiCompatiblePreset, 'supportedParameters' | 'name' | 'displayName' | 'defaultBaseUrl'>> {
  displayName: string;
  defaultBaseUrl: string;
  /** Base parameters the provider lacks. */
  exclude?: readonly string[];
  /** Parameters beyond the base. */
  extra?: readonly string[];
}

const baseBehaviour: Omit<OpenAiCompatiblePreset, 'name' | 'displayName' | 'defaultBaseUrl' | 'supportedParameters'> = {
  auth: 'bearer',
  renames: {},
  streamUsage: true,
  reasoning: { style: 'effort', efforts: ['low', 'medium', 'high'] },
  replayReasoningDetails: false,
  developerRole: false,
  cacheControl: false,
  messageName: false,
  fileParts: false,
  audioParts: false,
  passthrough: [],
};

export function defineOpenAiCompatiblePreset(name: string, definition: PresetDefinition): OpenAiCompatiblePreset {
  const { exclude = [], extra = [], ...overrides } = definition;
  const preset: OpenAiCompatiblePreset = {
    ...baseBehaviour,
    ...overrides,
    name,
    supportedParameters: [...openAiBaseParameters.filter((parameter) => !exclude.includes(parameter)), ...extra.filter((parameter) => !exclude.includes(parameter))],
  };
  const takesReasoning = preset.supportedParameters.includes('reasoning');
  if (takesReasoning !== (preset.reasoning.style !== 'none')) {
    throw new Error(`preset ${name}: 'reasoning' must be supported exactly when the preset has a reasoning style`);
  }
  return Object.freeze(preset);
}

const fullOpenAi = {
  extra: ['verbosity', 'prediction'],
  renames: { max_tokens: 'max_completion_tokens' },
  reasoning: { style: 'effort', efforts: ['none', 'minimal', 'low', 'medium', 'high', 'xhigh'] },
  developerRole: true,
  messageName: true,
  fileParts: true,
  audioParts: true,
} as const satisfies Partial<PresetDefinition>;

export const openAiCompatiblePresets: Readonly<Record<string, OpenAiCompatiblePreset>> = Object.freeze({
  openai: defineOpenAiCompatiblePreset('openai', { displayName: 'OpenAI', defaultBaseUrl: 'https://api.openai.com/v1', ...fullOpenAi }),
  deepseek: defineOpenAiCompatiblePreset('deepseek', {
    displayName: 'DeepSeek',
    defaultBaseUrl: 'https://api.deepseek.com/v1',
    // JSON mode only (json_object); reasoner models think unconditionally and take no effort.
    exclude: ['seed', 'parallel_tool_calls', 'structured_outputs', 'logit_bias', 'reasoning'],
    reasoning: { style: 'none' },
  }),
  groq: defineOpenAiCompatiblePreset('groq', {
    displayName: 'Groq',
    defaultBaseUrl: 'https://api.groq.com/openai/v1',
    exclude: ['logit_bias', 'logprobs', 'top_logprobs'],
  }),
  together: defineOpenAiCompatiblePreset('together', {
    displayName: 'Together',
    defaultBaseUrl: 'https://api.together.xyz/v1',
    exclude: ['parallel_tool_calls'],
    extra: openWeightSamplers,
  }),
  fireworks: defineOpenAiCompatiblePreset('fireworks', {
    displayName: 'Fireworks',
    defaultBaseUrl: 'https://api.fireworks.ai/inference/v1',
    exclude: ['parallel_tool_calls', 'logit_bias'],
    extra: openWeightSamplers,
  }),
  mistral: defineOpenAiCompatiblePreset('mistral', {
    displayName: 'Mistral',
    defaultBaseUrl: 'https://api.mistral.ai/v1',
    exclude: ['logit_bias', 'logprobs', 'top_logprobs', 'reasoning'],
    renames: { seed: 'random_seed' },
    reasoning: { style: 'none' },
    // Mistral rejects unknown request fields and always ends a stream with usage.
    streamUsage: false,
  }),
  xai: defineOpenAiCompatiblePreset('xai', {
    displayName: 'xAI',
    defaultBaseUrl: 'https://api.x.ai/v1',
    exclude: ['logit_bias'],
    reasoning: { style: 'effort', efforts: ['low', 'high'] },
  }),
  deepinfra: defineOpenAiCompatiblePreset('deepinfra', {
    displayName: 'DeepInfra',
    defaultBaseUrl: 'https://api.deepinfra.com/v1/openai',
    exclude: ['parallel_tool_calls', 'logit_bias', 'top_logprobs'],
    extra: openWeightSamplers,
    reasoning: { style: 'effort', efforts: ['none', 'low', 'medium', 'high'] },
  }),
  cerebras: defineOpenAiCompatiblePreset('cerebras', {
    displayName: 'Cerebras',
    defaultBaseUrl: 'https://api.cerebras.ai/v1',
    exclude: ['frequency_penalty', 'presence_penalty', 'logit_bias'],
    renames: { max_tokens: 'max_completion_tokens' },
  }),
  perplexity: defineOpenAiCompatiblePreset('perplexity', {
    displayName: 'Perplexity',
    defaultBaseUrl: 'https://api.perplexity.ai',
    exclude: ['tools', 'tool_choice', 'parallel_tool_calls', 'stop', 'seed', 'logit_bias', 'logprobs', 'top_logprobs'],
    extra: ['top_k'],
    // Usage rides on every chunk already.
    streamUsage: false,
  }),
  nebius: defineOpenAiCompatiblePreset('nebius', {
    displayName: 'Nebius AI Studio',
    defaultBaseUrl: 'https://api.studio.nebius.com/v1',
    exclude: ['parallel_tool_calls', 'reasoning'],
    extra: openWeightSamplers,
    reasoning: { style: 'none' },
  }),
  novita: defineOpenAiCompatiblePreset('novita', {
    displayName: 'NovitaAI',
    defaultBaseUrl: 'https://api.novita.ai/v3/openai',
    exclude: ['parallel_tool_calls', 'reasoning'],
    extra: openWeightSamplers,
    reasoning: { style: 'none' },
  }),
  hyperbolic: defineOpenAiCompatiblePreset('hyperbolic', {
    displayName: 'Hyperbolic',
    defaultBaseUrl: 'https://api.hyperbolic.xyz/v1',
    exclude: ['tools', 'tool_choice', 'parallel_tool_calls', 'response_format', 'structured_outputs', 'reasoning', 'logit_bias'],
    extra: openWeightSamplers,
    reasoning: { style: 'none' },
  }),
  sambanova: defineOpenAiCompatiblePreset('sambanova', {
    displayName: 'SambaNova',
    defaultBaseUrl: 'https://api.sambanova.ai/v1',
    exclude: ['seed', 'frequency_penalty', 'presence_penalty', 'logit_bias', 'logprobs', 'top_logprobs', 'reasoning'],
    extra: ['top_k'],
    reasoning: { style: 'none' },
  }),
  openrouter: defineOpenAiCompatiblePreset('openrouter', {
    displayName: 'OpenRouter',
    defaultBaseUrl: 'https://openrouter.ai/api/v1',
    extra: [...openWeightSamplers, 'top_a', 'verbosity', 'prediction'],
    reasoning: { style: 'object' },
    replayReasoningDetails: true,
    developerRole: true,
    cacheControl: true,
    messageName: true,
    fileParts: true,
    audioParts: true,
    passthrough: ['provider', 'cache_control'],
    // Deprecated there: usage always arrives.
    streamUsage: false,
  }),
  moonshotai: defineOpenAiCompatiblePreset('moonshotai', {
    displayName: 'Moonshot AI',
    defaultBaseUrl: 'https://api.moonshot.ai/v1',
    exclude: ['logit_bias', 'logprobs', 'top_logprobs', 'seed', 'reasoning'],
    reasoning: { style: 'none' },
  }),
  'z-ai': defineOpenAiCompatiblePreset('z-ai', {
    displayName: 'Z.AI',
    defaultBaseUrl: 'https://api.z.ai/api/paas/v4',
    exclude: ['logit_bias', 'logprobs', 'top_logprobs', 'seed', 'frequency_penalty', 'presence_penalty', 'parallel_tool_calls', 'reasoning'],
    reasoning: { style: 'none' },
  }),
  cohere: defineOpenAiCompatiblePreset('cohere', {
    displayName: 'Cohere',
    // Cohere's OpenAI compatibility API.
    defaultBaseUrl: 'https://api.cohere.ai/compatibility/v1',
    exclude: ['logit_bias', 'logprobs', 'top_logprobs', 'parallel_tool_calls', 'reasoning'],
    reasoning: { style: 'none' },
  }),
  simulator: defineOpenAiCompatiblePreset('simulator', {
    displayName: 'Switchyard simulator',
    defaultBaseUrl: 'http://127.0.0.1:8090/openai/v1',
    ...fullOpenAi,
    // The simulator reads max_tokens (every OpenAI-shaped server does) and replays reasoning like OpenRouter.
    renames: {},
    replayReasoningDetails: true,
    cacheControl: true,
  }),
});

/** Azure OpenAI speaks the OpenAI wire with its own URL and `api-key` header (see azure/). */
export const azurePreset: OpenAiCompatiblePreset = defineOpenAiCompatiblePreset('azure', {
  displayName: 'Azure OpenAI',
  defaultBaseUrl: '',
  auth: 'api-key',
  renames: { max_tokens: 'max_completion_tokens' },
  reasoning: { style: 'effort', efforts: ['low', 'medium', 'high'] },
  developerRole: true,
  messageName: true,
});
