import { Injectable } from '@nestjs/common';

/** How a request ended. */
export type Outcome = 'completed' | 'failed' | 'reset' | 'cancelled' | 'hung';

export interface TokenCounts {
  promptTokens: number;
  completionTokens: number;
  reasoningTokens: number;
  cachedTokens: number;
  cacheWriteTokens: number;
}

/** What the simulator "billed" one model since the last reset. */
export interface ModelUsage extends TokenCounts {
  /** Requests that passed authentication and validation, counted when they end. */
  requests: number;
  completed: number;
  /** Injected error statuses (and hung requests answered 503 at shutdown). */
  failed: number;
  /** Sockets destroyed by the `reset` failure mode (before headers or mid-answer). */
  reset: number;
  /** The client went away before the answer ended (tokens sent so far are counted). */
  cancelled: number;
  /** `hang` requests whose client gave up. */
  hung: number;
  /** The part of the tokens above whose final usage reached the client (the provider's reported bill). */
  reported: TokenCounts & { responses: number };
}

function zeroTokens(): TokenCounts {
  return { promptTokens: 0, completionTokens: 0, reasoningTokens: 0, cachedTokens: 0, cacheWriteTokens: 0 };
}

function zeroUsage(): ModelUsage {
  return { requests: 0, completed: 0, failed: 0, reset: 0, cancelled: 0, hung: 0, ...zeroTokens(), reported: { responses: 0, ...zeroTokens() } };
}

function addTokens(target: TokenCounts, tokens: TokenCounts): void {
  target.promptTokens += tokens.promptTokens;
  target.completionTokens += tokens.completionTokens;
  target.reasoningTokens += tokens.reasoningTokens;
  target.cachedTokens += tokens.cachedTokens;
  target.cacheWriteTokens += tokens.cacheWriteTokens;
}

/**
 * Billing counters per model: every request that ended, its outcome, and the tokens of every answer that produced
 * output (complete, or partial when reset or cancelled mid-way: the completion tokens actually sent). Tests of the
 * gateway compare what it charged with these.
 */
@Injectable()
export class UsageLedger {
  private models = new Map<string, ModelUsage>();

  record(model: string, outcome: Outcome, tokens: TokenCounts | undefined, usageReported: boolean): void {
    let usage = this.models.get(model);
    if (!usage) {
      usage = zeroUsage();
      this.models.set(model, usage);
    }
    usage.requests++;
    usage[outcome]++;
    if (tokens) {
      addTokens(usage, tokens);
      if (usageReported) {
        usage.reported.responses++;
        addTokens(usage.reported, tokens);
      }
    }
  }

  snapshot(): { models: Record<string, ModelUsage>; totals: ModelUsage } {
    const totals = zeroUsage();
    const models: Record<string, ModelUsage> = {};
    for (const [model, usage] of this.models) {
      models[model] = structuredClone(usage);
      totals.requests += usage.requests;
      totals.completed += usage.completed;
      totals.failed += usage.failed;
      totals.reset += usage.reset;
      totals.cancelled += usage.cancelled;
      totals.hung += usage.hung;
      addTokens(totals, usage);
      totals.reported.responses += usage.reported.responses;
      addTokens(totals.reported, usage.reported);
    }
    return { models, totals };
  }

  reset(): void {
    this.models = new Map();
  }
}
