import type { StreamPart } from '@switchyard/llm-spec';
import type { ResponseIdentity } from './skin.js';

export type { ResponseIdentity } from './skin.js';

/**
 * Renders canonical parts as OpenAI `chat.completion.chunk` JSON, by string templates: the constant head of every
 * chunk is serialised once per response, and a text delta costs one JSON.stringify of its text.
 */
export class ChunkRenderer {
  private head: string;
  private roleSent = false;

  constructor(
    identity: ResponseIdentity,
    private readonly includeReasoning: boolean,
  ) {
    this.head = ChunkRenderer.headFor(identity);
  }

  static headFor(identity: ResponseIdentity): string {
    return `{"id":${JSON.stringify(identity.id)},"provider":${JSON.stringify(identity.provider)},"model":${JSON.stringify(identity.model)},"object":"chat.completion.chunk","created":${identity.created},"system_fingerprint":${JSON.stringify(identity.systemFingerprint)}`;
  }

  /** The identity changes when a fallback provider or model ends up serving (before any chunk went out). */
  reset(identity: ResponseIdentity): void {
    this.head = ChunkRenderer.headFor(identity);
  }

  private choice(delta: string, finishReason: string | null = null, nativeFinishReason: string | null = null): string {
    const role = this.roleSent ? '' : '"role":"assistant"' + (delta ? ',' : '');
    this.roleSent = true;
    return `${this.head},"choices":[{"index":0,"delta":{${role}${delta}},"finish_reason":${JSON.stringify(finishReason)},"native_finish_reason":${JSON.stringify(nativeFinishReason)},"logprobs":null}]}`;
  }

  /** The chunk for one part, or undefined for parts that have no chunk of their own (usage, tool-call-end, metadata). */
  render(part: StreamPart): string | undefined {
    switch (part.type) {
      case 'text-delta':
        return this.choice(`"content":${JSON.stringify(part.text)}`);
      case 'reasoning-delta': {
        if (!this.includeReasoning) return undefined;
        const details = part.details && part.details.length > 0 ? `,"reasoning_details":${JSON.stringify(part.details)}` : '';
        return this.choice(`"content":null,"reasoning":${JSON.stringify(part.text)}${details}`);
      }
      case 'refusal-delta':
        return this.choice(`"refusal":${JSON.stringify(part.text)}`);
      case 'tool-call-start':
        return this.choice(`"content":null,"tool_calls":[{"index":${part.index},"id":${JSON.stringify(part.id)},"type":"function","function":{"name":${JSON.stringify(part.name)},"arguments":""}}]`);
      case 'tool-call-delta':
        return this.choice(`"tool_calls":[{"index":${part.index},"function":{"arguments":${JSON.stringify(part.argumentsDelta)}}}]`);
      case 'finish':
        return this.choice('', part.finishReason, part.nativeFinishReason ?? null);
      default:
        return undefined;
    }
  }

  /** The usage-only chunk before `[DONE]`: empty `choices`, usage with cost. */
  usageChunk(usage: unknown, metadata?: unknown): string {
    return `${this.head},"choices":[],"usage":${JSON.stringify(usage)}${metadata === undefined ? '' : `,"openrouter_metadata":${JSON.stringify(metadata)}`}}`;
  }

  /** A mid-stream failure: top-level `error` and a final choice with finish_reason "error". */
  errorChunk(error: { code: number; message: string; metadata: Record<string, unknown> }, nativeFinishReason: string | null, usage?: unknown, metadata?: unknown): string {
    const usageField = usage === undefined ? '' : `,"usage":${JSON.stringify(usage)}`;
    const metadataField = metadata === undefined ? '' : `,"openrouter_metadata":${JSON.stringify(metadata)}`;
    return `${this.head},"error":${JSON.stringify(error)},"choices":[{"index":0,"delta":{"content":""},"finish_reason":"error","native_finish_reason":${JSON.stringify(nativeFinishReason)},"logprobs":null}]${usageField}${metadataField}}`;
  }
}
