import { planChat, defaultIntent, type GenerationPlan, type PlanUsage, type PromptCache } from '../generation/generation-plan.js';
import { embeddingVector } from '../generation/embeddings.js';
import { rankDocuments } from '../generation/rerank.js';
import type { EffectiveKnobs } from '../knobs/knobs.schema.js';
import type { Frame } from './frames.js';
import { renderAnthropicMessage, streamAnthropicMessage } from './formats/anthropic-messages.renderer.js';
import { anthropicMessagesIntent } from './formats/anthropic-messages.schema.js';
import { RequestError, type WireFormat } from './formats/errors.js';
import { renderGeminiResponse, streamGeminiResponse } from './formats/gemini.renderer.js';
import { geminiBatchEmbedInputs, geminiEmbedInputs, geminiGenerateIntent } from './formats/gemini.schema.js';
import { renderOpenAiChat, streamOpenAiChat } from './formats/openai-chat.renderer.js';
import { openAiChatIntent, openAiIncludeUsage } from './formats/openai-chat.schema.js';
import { renderCompletions, renderOpenAiEmbeddings, streamCompletions } from './formats/openai-misc.renderer.js';
import { openAiCompletionsInput, openAiEmbeddingsInput } from './formats/openai-misc.schema.js';
import { openAiRerankInput } from './formats/openai-rerank.schema.js';

export type RouteKind =
  | 'openai-chat'
  | 'openai-completions'
  | 'openai-embeddings'
  | 'openai-rerank'
  | 'openai-models'
  | 'anthropic-messages'
  | 'gemini-generate'
  | 'gemini-stream'
  | 'gemini-embed'
  | 'gemini-batch-embed'
  | 'azure-chat'
  | 'azure-embeddings';

export interface Route {
  kind: RouteKind;
  format: WireFormat;
  /** Metrics label. */
  label: string;
  method: 'GET' | 'POST';
  /** The model named by the path (Gemini model, Azure deployment). */
  pathModel?: string;
}

const FIXED_ROUTES: Record<string, Route> = {
  '/openai/v1/chat/completions': { kind: 'openai-chat', format: 'openai', label: 'openai.chat', method: 'POST' },
  '/openai/v1/completions': { kind: 'openai-completions', format: 'openai', label: 'openai.completions', method: 'POST' },
  '/openai/v1/embeddings': { kind: 'openai-embeddings', format: 'openai', label: 'openai.embeddings', method: 'POST' },
  '/openai/v1/rerank': { kind: 'openai-rerank', format: 'openai', label: 'openai.rerank', method: 'POST' },
  '/openai/v1/models': { kind: 'openai-models', format: 'openai', label: 'openai.models', method: 'GET' },
  '/anthropic/v1/messages': { kind: 'anthropic-messages', format: 'anthropic', label: 'anthropic.messages', method: 'POST' },
};

const GEMINI_PREFIXES = ['/gemini/v1beta/models/', '/gemini/v1/models/'];
const GEMINI_METHODS: Record<string, { kind: RouteKind; label: string }> = {
  generateContent: { kind: 'gemini-generate', label: 'gemini.generate' },
  streamGenerateContent: { kind: 'gemini-stream', label: 'gemini.stream' },
  embedContent: { kind: 'gemini-embed', label: 'gemini.embed' },
  batchEmbedContents: { kind: 'gemini-batch-embed', label: 'gemini.batch-embed' },
};
const AZURE_PREFIX = '/azure/openai/deployments/';

function decode(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

/** The route of a request path (query excluded), or undefined for an unknown path. */
export function matchRoute(path: string): Route | undefined {
  const fixed = FIXED_ROUTES[path];
  if (fixed) return fixed;
  for (const prefix of GEMINI_PREFIXES) {
    if (!path.startsWith(prefix)) continue;
    const rest = path.slice(prefix.length);
    const colon = rest.lastIndexOf(':');
    if (colon <= 0) return undefined;
    const method = GEMINI_METHODS[rest.slice(colon + 1)];
    const model = decode(rest.slice(0, colon));
    if (!method || !model) return undefined;
    return { ...method, format: 'gemini', method: 'POST', pathModel: model };
  }
  if (path.startsWith(AZURE_PREFIX)) {
    const rest = path.slice(AZURE_PREFIX.length);
    for (const [suffix, kind, label] of [
      ['/chat/completions', 'azure-chat', 'azure.chat'],
      ['/embeddings', 'azure-embeddings', 'azure.embeddings'],
    ] as const) {
      if (!rest.endsWith(suffix)) continue;
      const deployment = decode(rest.slice(0, rest.length - suffix.length));
      if (!deployment) return undefined;
      return { kind, format: 'azure', label, method: 'POST', pathModel: deployment };
    }
  }
  return undefined;
}

/** The provider format a path belongs to (for rendering a 404 on an unknown path). */
export function formatOfPath(path: string): WireFormat {
  if (path.startsWith('/anthropic/')) return 'anthropic';
  if (path.startsWith('/gemini/')) return 'gemini';
  if (path.startsWith('/azure/')) return 'azure';
  return 'openai';
}

/** An answer ready to send: a JSON body or stream frames, and the usage it bills when complete. */
export interface Answer {
  usage: PlanUsage;
  contentType: string;
  body?: string;
  frames?: Frame[];
}

/** A validated request: its model, whether it streams, and how to build its answer once it is not failing. */
export interface PreparedRequest {
  model: string;
  stream: boolean;
  answer(knobs: EffectiveKnobs): Answer;
}

export interface PrepareContext {
  /** Unique per request (ids of responses). */
  requestId: string;
  created: number;
  promptCache: PromptCache;
  embeddingDimensions: number;
  /** `alt=sse` on a Gemini stream. */
  geminiSse: boolean;
}

const JSON_TYPE = 'application/json';
const SSE_TYPE = 'text/event-stream; charset=utf-8';

function sumUsage(plans: readonly GenerationPlan[]): PlanUsage {
  const total: PlanUsage = { promptTokens: 0, cachedTokens: 0, cacheWriteTokens: 0, completionTokens: 0, reasoningTokens: 0 };
  for (const plan of plans) {
    total.promptTokens += plan.usage.promptTokens;
    total.cachedTokens += plan.usage.cachedTokens;
    total.cacheWriteTokens += plan.usage.cacheWriteTokens;
    total.completionTokens += plan.usage.completionTokens;
    total.reasoningTokens += plan.usage.reasoningTokens;
  }
  return total;
}

/** Usage of an answer that bills prompt tokens only (embeddings, rerank). */
function embeddingUsage(promptTokens: number): PlanUsage {
  return { promptTokens, cachedTokens: 0, cacheWriteTokens: 0, completionTokens: 0, reasoningTokens: 0 };
}

/** Validates a parsed body for its route (throws RequestError) and returns how to answer it. */
export function prepareRequest(route: Route, body: unknown, rawBody: string, context: PrepareContext): PreparedRequest {
  switch (route.kind) {
    case 'openai-chat':
    case 'azure-chat': {
      const azure = route.kind === 'azure-chat';
      const intent = openAiChatIntent(body, rawBody, azure ? route.pathModel : undefined);
      const includeUsage = intent.stream && openAiIncludeUsage(body);
      return {
        model: intent.model,
        stream: intent.stream,
        answer: (knobs) => {
          const plan = planChat(intent, knobs, context.promptCache);
          const render = { id: `chatcmpl-${context.requestId}`, created: context.created, model: intent.model, chunkCount: knobs.chunkCount, includeUsage, azure };
          return intent.stream
            ? { usage: plan.usage, contentType: SSE_TYPE, frames: streamOpenAiChat(plan, render) }
            : { usage: plan.usage, contentType: JSON_TYPE, body: renderOpenAiChat(plan, render) };
        },
      };
    }
    case 'openai-completions': {
      const input = openAiCompletionsInput(body);
      return {
        model: input.model,
        stream: input.stream,
        answer: (knobs) => {
          const plans = input.prompts.map((prompt) =>
            planChat(defaultIntent(input.model, { lastUserText: prompt.text, promptTokens: prompt.tokens, maxTokens: input.maxTokens, reasoning: 'disabled' }), knobs),
          );
          const usage = sumUsage(plans);
          const render = { id: `cmpl-${context.requestId}`, created: context.created, model: input.model, chunkCount: knobs.chunkCount, includeUsage: input.includeUsage };
          return input.stream
            ? { usage, contentType: SSE_TYPE, frames: streamCompletions(plans, usage, render) }
            : { usage, contentType: JSON_TYPE, body: renderCompletions(plans, usage, render) };
        },
      };
    }
    case 'openai-embeddings':
    case 'azure-embeddings': {
      const input = openAiEmbeddingsInput(body, route.kind === 'azure-embeddings' ? route.pathModel : undefined);
      return {
        model: input.model,
        stream: false,
        answer: () => ({
          usage: embeddingUsage(input.promptTokens),
          contentType: JSON_TYPE,
          body: renderOpenAiEmbeddings(input.model, input.inputs, input.dimensions ?? context.embeddingDimensions, input.base64, input.promptTokens),
        }),
      };
    }
    case 'openai-rerank': {
      const input = openAiRerankInput(body);
      return {
        model: input.model,
        stream: false,
        answer: () => ({
          usage: embeddingUsage(input.promptTokens),
          contentType: JSON_TYPE,
          body: JSON.stringify({
            id: `rerank-${context.requestId}`,
            model: input.model,
            results: rankDocuments(input.model, input.query, input.documents, input.topN).map((ranked) => ({
              index: ranked.index,
              relevance_score: ranked.relevanceScore,
              ...(input.returnDocuments ? { document: { text: input.documents[ranked.index] } } : {}),
            })),
            usage: { prompt_tokens: input.promptTokens, total_tokens: input.promptTokens },
          }),
        }),
      };
    }
    case 'anthropic-messages': {
      const intent = anthropicMessagesIntent(body);
      return {
        model: intent.model,
        stream: intent.stream,
        answer: (knobs) => {
          const plan = planChat(intent, knobs, context.promptCache);
          const render = { id: `msg_01${context.requestId}`, model: intent.model, chunkCount: knobs.chunkCount };
          return intent.stream
            ? { usage: plan.usage, contentType: SSE_TYPE, frames: streamAnthropicMessage(plan, render) }
            : { usage: plan.usage, contentType: JSON_TYPE, body: renderAnthropicMessage(plan, render) };
        },
      };
    }
    case 'gemini-generate':
    case 'gemini-stream': {
      const stream = route.kind === 'gemini-stream';
      const intent = geminiGenerateIntent(body, route.pathModel!, stream);
      return {
        model: intent.model,
        stream,
        answer: (knobs) => {
          const plan = planChat(intent, knobs, context.promptCache);
          const render = { responseId: context.requestId, model: intent.model, chunkCount: knobs.chunkCount, includeThoughts: intent.includeThoughts, sse: context.geminiSse };
          return stream
            ? { usage: plan.usage, contentType: context.geminiSse ? 'text/event-stream' : 'application/json; charset=UTF-8', frames: streamGeminiResponse(plan, render) }
            : { usage: plan.usage, contentType: JSON_TYPE, body: renderGeminiResponse(plan, render) };
        },
      };
    }
    case 'gemini-embed': {
      const input = geminiEmbedInputs(body);
      const model = route.pathModel!;
      return {
        model,
        stream: false,
        answer: () => ({
          usage: embeddingUsage(input.promptTokens),
          contentType: JSON_TYPE,
          body: JSON.stringify({ embedding: { values: embeddingVector(model, input.texts[0], input.dimensions ?? context.embeddingDimensions) } }),
        }),
      };
    }
    case 'gemini-batch-embed': {
      const input = geminiBatchEmbedInputs(body);
      const model = route.pathModel!;
      return {
        model,
        stream: false,
        answer: () => ({
          usage: embeddingUsage(input.promptTokens),
          contentType: JSON_TYPE,
          body: JSON.stringify({ embeddings: input.requests.map((entry) => ({ values: embeddingVector(model, entry.texts[0], entry.dimensions ?? context.embeddingDimensions) })) }),
        }),
      };
    }
    case 'openai-models':
      throw new RequestError(405, 'The models list is a GET route.');
  }
}
