import type { IncomingHttpHeaders } from 'node:http';
import type { Dispatcher } from 'undici';

/** What an exchange tells its owner, in order: the head once, chunks, then exactly one of `onEnd` or `onError`. */
export interface ExchangeSink {
  /** Status and headers arrived. Return false to stop the exchange (the connection is aborted). */
  onHead(statusCode: number, headers: IncomingHttpHeaders): boolean;
  /**
   * A body chunk. Return false to stop reading (the connection is aborted; no `onEnd` follows), or `'yield'` to
   * let the event loop turn before the next chunk of the same read is handed over (what the sink just sent goes
   * out first: the first token of a burst is not held back while the rest of the burst is processed).
   */
  onChunk(chunk: Buffer): boolean | 'yield';
  /** The body ended normally. */
  onEnd(): void;
  /** The exchange failed (connection, timeouts, abort) before its end. */
  onError(error: Error): void;
}

/**
 * One HTTP exchange through undici's `dispatch`, driving `sink` straight from the connection's callbacks: no
 * Readable stream and no async iteration per chunk, which is measurably cheaper on the providers hot path than
 * `request()` (about 25 µs of CPU per call in a hot loop). Aborting `signal` aborts the exchange with its reason.
 * The returned promise resolves when the exchange is over, whatever the outcome; it never rejects.
 */
export function exchange(dispatcher: Dispatcher, options: Dispatcher.DispatchOptions, signal: AbortSignal, sink: ExchangeSink): Promise<void> {
  return new Promise<void>((resolve) => {
    let controller: Dispatcher.DispatchController | undefined;
    let over = false;
    const abortReason = () => (signal.reason instanceof Error ? signal.reason : new AbortError(String(signal.reason ?? 'aborted')));
    const onAbort = () => controller?.abort(abortReason());
    const finish = () => {
      if (over) return false;
      over = true;
      signal.removeEventListener('abort', onAbort);
      resolve();
      return true;
    };
    // Over first, then abort: undici reports the abort through onResponseError at once, and the sink asked for it.
    const stop = (reason: string) => {
      if (finish()) controller?.abort(new AbortError(reason));
    };
    if (signal.aborted) {
      sink.onError(abortReason());
      finish();
      return;
    }
    signal.addEventListener('abort', onAbort, { once: true });
    const handler: Dispatcher.DispatchHandler = {
      onRequestStart(started) {
        controller = started;
        if (signal.aborted) started.abort(abortReason());
      },
      onResponseStart(_controller, statusCode, headers) {
        if (over) return;
        if (!sink.onHead(statusCode, headers)) stop('stopped after the response head');
      },
      onResponseData(dispatchController, chunk) {
        if (over) return;
        const verdict = sink.onChunk(chunk);
        if (verdict === 'yield') {
          dispatchController.pause();
          setImmediate(() => dispatchController.resume());
        } else if (!verdict) {
          stop('stopped reading the response body');
        }
      },
      onResponseEnd() {
        if (over) return;
        sink.onEnd();
        finish();
      },
      onResponseError(_controller, error) {
        if (over) return;
        sink.onError(error);
        finish();
      },
    };
    try {
      dispatcher.dispatch(options, handler);
    } catch (error) {
      if (!over) {
        sink.onError(error as Error);
        finish();
      }
    }
  });
}

/** The exchange was aborted by its owner (the signal's reason when it is not an Error). */
export class AbortError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AbortError';
  }
}
