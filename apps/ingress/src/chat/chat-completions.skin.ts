import type { GatewayError } from '@switchyard/contracts';
import type { ChatResult, StreamPart } from '@switchyard/llm-spec';
import { ChunkRenderer } from './chunk-renderer.js';
import { renderCompletion } from './completion.renderer.js';
import type { RouterMetadata } from './router-metadata.js';
import type { BilledUsage, MidStreamFailure, ResponseIdentity, Skin, SkinStream } from './skin.js';
import { sseData } from './sse-writer.js';
import { renderUsage } from './usage.renderer.js';

const DONE = 'data: [DONE]\n\n';

class ChatCompletionsStream implements SkinStream {
  private readonly renderer: ChunkRenderer;

  constructor(identity: ResponseIdentity, includeReasoning: boolean) {
    this.renderer = new ChunkRenderer(identity, includeReasoning);
  }

  reset(identity: ResponseIdentity): void {
    this.renderer.reset(identity);
  }

  open(): string {
    return '';
  }

  part(part: StreamPart): string {
    const chunk = this.renderer.render(part);
    return chunk === undefined ? '' : sseData(chunk);
  }

  keepAlive(): string {
    return ': SWITCHYARD PROCESSING\n\n';
  }

  complete(_result: ChatResult, billed: BilledUsage, metadata?: RouterMetadata): string {
    return sseData(this.renderer.usageChunk(renderUsage(billed.usage, billed.charge, billed.isByok), metadata)) + DONE;
  }

  fail(failure: MidStreamFailure, billed: BilledUsage | undefined, metadata?: RouterMetadata): string {
    const usage = billed ? renderUsage(billed.usage, billed.charge, billed.isByok) : undefined;
    return sseData(this.renderer.errorChunk({ code: failure.code, message: failure.message, metadata: failure.metadata }, failure.nativeFinishReason, usage, metadata)) + DONE;
  }
}

/** `POST /api/v1/chat/completions`: OpenAI chat completions as OpenRouter extends them. */
export const chatCompletionsSkin: Skin = {
  api: 'completions',
  stream: (identity, includeReasoning) => new ChatCompletionsStream(identity, includeReasoning),
  body: (identity, result, billed, includeReasoning) => renderCompletion(identity, result, renderUsage(billed.usage, billed.charge, billed.isByok), includeReasoning),
  error: (error: GatewayError) => ({ status: error.status, body: error.toEnvelope(), headers: error.headers }),
  streamError: (error: GatewayError) => sseData(JSON.stringify({ ...error.toEnvelope(), choices: [] })) + DONE,
};
