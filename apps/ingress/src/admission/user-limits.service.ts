import { Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { type LimitReset, PaymentRequiredError, subjects, type UserLimitsSnapshot, userLimitsPagedArrays, userLimitsSnapshotSchema } from '@switchyard/contracts';
import { HealthRegistry, NatsService, SnapshotCache } from '@switchyard/nest-kit';

/** One end user at their key's limit: until when (epoch ms, Infinity for a limit that never resets), and the limit. */
interface UserBlock {
  until: number;
  limit: string;
  limitReset: LimitReset | null;
}

/** Key hash → end user → block. */
type UserBlocks = Map<string, Map<string, UserBlock>>;

export function blocksFrom(snapshot: UserLimitsSnapshot): UserBlocks {
  const blocks: UserBlocks = new Map();
  for (const block of snapshot.blocks) {
    let users = blocks.get(block.keyHash);
    if (!users) blocks.set(block.keyHash, (users = new Map()));
    users.set(block.user, { until: block.until === null ? Number.POSITIVE_INFINITY : Date.parse(block.until), limit: block.limit, limitReset: block.limitReset });
  }
  return blocks;
}

const WINDOW_WORDS: Record<LimitReset, string> = { daily: 'per day', weekly: 'per week', monthly: 'per month' };

/** The 402 of an end user at their key's limit. */
export function userLimitError(user: string, block: UserBlock): PaymentRequiredError {
  const resets = Number.isFinite(block.until) ? new Date(block.until).toISOString() : null;
  const window = block.limitReset ? WINDOW_WORDS[block.limitReset] : 'in total';
  return new PaymentRequiredError(`This user has reached its spend limit on this API key ($${block.limit} ${window})${resets ? `; it resets at ${resets}` : ''}`, {
    user,
    user_limit: block.limit,
    user_limit_reset: block.limitReset,
    resets_at: resets,
  });
}

/**
 * Per-end-user budgets (a key's `user_limit`): the end users billing found at their limit in the current window,
 * in memory (a snapshot from billing, fetched again whenever billing announces a key's blocks changed, after every
 * reconnect and each minute). A request naming such a user (`user`, or `metadata.user_id` on /messages) on that key
 * is a 402 before any provider is called; the check is one map lookup, and none for a request without a user.
 */
@Injectable()
export class UserLimitsService implements OnModuleInit, OnApplicationShutdown {
  private readonly cache: SnapshotCache<UserBlocks>;

  constructor(nats: NatsService, health: HealthRegistry) {
    this.cache = new SnapshotCache<UserBlocks>(
      nats,
      {
        name: 'user-limits',
        snapshotSubject: subjects.billing.userLimits,
        changedSubject: subjects.billing.userLimitsChanged,
        schema: userLimitsSnapshotSchema.transform(blocksFrom),
        pagedFields: userLimitsPagedArrays,
        // No versions: every announcement fetches the blocks again (coalesced), and a newer fetch always wins.
        version: () => 0,
        apply: () => 'refetch',
        refreshIntervalMs: 60_000,
      },
      health,
    );
  }

  onModuleInit(): void {
    this.cache.start();
  }

  onApplicationShutdown(): void {
    this.cache.stop();
  }

  /** Throws the 402 when `user` has reached the key's user limit in the current window. */
  check(keyHash: string, user: string | null | undefined, now = Date.now()): void {
    if (!user) return;
    const block = this.cache.value?.get(keyHash)?.get(user);
    if (block && block.until > now) throw userLimitError(user, block);
  }
}
