import type { ChatResult, StreamPart } from '@switchyard/llm-spec';
import { sseData } from '../../chat/sse-writer.js';
import type { RouterMetadata } from '../../chat/router-metadata.js';
import type { BilledUsage, MidStreamFailure, ResponseIdentity, SkinStream } from '../../chat/skin.js';
import { renderUsage } from '../../chat/usage.renderer.js';

const DONE = 'data: [DONE]\n\n';

function head(identity: ResponseIdentity): string {
  return `{"id":${JSON.stringify(identity.id)},"object":"text_completion","created":${identity.created},"model":${JSON.stringify(identity.model)},"provider":${JSON.stringify(identity.provider)},"system_fingerprint":${JSON.stringify(identity.systemFingerprint)}`;
}

/** The non-streaming `text_completion` (reference §4, legacy): the answer as `choices[0].text`, usage with cost. */
export function renderTextCompletion(identity: ResponseIdentity, result: ChatResult, billed: BilledUsage, includeReasoning: boolean): Record<string, unknown> {
  const choice: Record<string, unknown> = {
    text: result.text !== '' ? result.text : (result.refusal ?? ''),
    index: 0,
    finish_reason: result.finishReason,
    native_finish_reason: result.nativeFinishReason,
    logprobs: null,
  };
  if (includeReasoning && result.reasoning !== '') choice.reasoning = result.reasoning;
  if (includeReasoning && result.reasoningDetails.length > 0) choice.reasoning_details = result.reasoningDetails;
  return {
    id: identity.id,
    object: 'text_completion',
    created: identity.created,
    model: identity.model,
    provider: identity.provider,
    system_fingerprint: identity.systemFingerprint,
    choices: [choice],
    usage: renderUsage(billed.usage, billed.charge, billed.isByok),
  };
}

/**
 * Legacy completion chunks: `{object:"text_completion", choices:[{text, index, finish_reason, logprobs}]}` per
 * delta, a finish chunk, then a usage chunk with empty choices and cost, then `[DONE]`; a failure is a chunk with
 * a top-level `error` and finish_reason "error" (as chat completions do).
 */
export class TextCompletionStream implements SkinStream {
  private head: string;

  constructor(
    identity: ResponseIdentity,
    private readonly includeReasoning: boolean,
  ) {
    this.head = head(identity);
  }

  reset(identity: ResponseIdentity): void {
    this.head = head(identity);
  }

  open(): string {
    return '';
  }

  keepAlive(): string {
    return ': SWITCHYARD PROCESSING\n\n';
  }

  private choice(fields: string, finishReason: string | null = null, nativeFinishReason: string | null = null): string {
    return sseData(`${this.head},"choices":[{${fields},"index":0,"finish_reason":${JSON.stringify(finishReason)},"native_finish_reason":${JSON.stringify(nativeFinishReason)},"logprobs":null}]}`);
  }

  part(part: StreamPart): string {
    switch (part.type) {
      case 'text-delta':
      case 'refusal-delta':
        return part.text === '' ? '' : this.choice(`"text":${JSON.stringify(part.text)}`);
      case 'reasoning-delta': {
        if (!this.includeReasoning) return '';
        const details = part.details && part.details.length > 0 ? `,"reasoning_details":${JSON.stringify(part.details)}` : '';
        return this.choice(`"text":"","reasoning":${JSON.stringify(part.text)}${details}`);
      }
      case 'finish':
        return this.choice('"text":""', part.finishReason, part.nativeFinishReason ?? null);
      default:
        return '';
    }
  }

  complete(_result: ChatResult, billed: BilledUsage, metadata?: RouterMetadata): string {
    const extra = metadata === undefined ? '' : `,"openrouter_metadata":${JSON.stringify(metadata)}`;
    return sseData(`${this.head},"choices":[],"usage":${JSON.stringify(renderUsage(billed.usage, billed.charge, billed.isByok))}${extra}}`) + DONE;
  }

  fail(failure: MidStreamFailure, billed: BilledUsage | undefined, metadata?: RouterMetadata): string {
    const usage = billed ? `,"usage":${JSON.stringify(renderUsage(billed.usage, billed.charge, billed.isByok))}` : '';
    const extra = metadata === undefined ? '' : `,"openrouter_metadata":${JSON.stringify(metadata)}`;
    const error = JSON.stringify({ code: failure.code, message: failure.message, metadata: failure.metadata });
    return (
      sseData(`${this.head},"error":${error},"choices":[{"text":"","index":0,"finish_reason":"error","native_finish_reason":${JSON.stringify(failure.nativeFinishReason)},"logprobs":null}]${usage}${extra}}`) + DONE
    );
  }
}
