import { Inject, Injectable } from '@nestjs/common';
import { type KeySnapshot, keySnapshotPagedArrays, keySnapshotSchema, NotFoundError, subjects } from '@switchyard/contracts';
import { mergeSnapshotPages, NatsService } from '@switchyard/nest-kit';
import { type AccountPolicy, defaultAccountPolicy } from '@switchyard/routing-policy';
import { CLOCK, type Clock } from '../clock.js';
import { ROUTING_CONFIG, type RoutingConfig } from '../config/routing.config.js';

export interface ResolvedAccountPolicy {
  accountId: string | null;
  /** `account`: the account's own settings from billing; `default`: routing-policy's default policy. */
  source: 'account' | 'default';
  policy: AccountPolicy;
  note?: string;
}

/**
 * The routing policy of an account for explain (privacy settings, allowed/ignored providers, BYOK providers).
 * Routing owns no account data: it asks billing for its key snapshot (the same RPC ingress caches), keeps it for
 * ACCOUNT_CACHE_TTL_MS, and falls back to the default policy when no account is given or billing does not answer
 * (the reply says so). An account billing does not know is a 404.
 */
@Injectable()
export class AccountPolicyService {
  private cached: { snapshot: KeySnapshot; fetchedAt: number } | undefined;
  private fetching: Promise<KeySnapshot> | undefined;

  constructor(
    @Inject(ROUTING_CONFIG) private readonly config: RoutingConfig,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly nats: NatsService,
  ) {}

  async resolve(accountId: string | undefined): Promise<ResolvedAccountPolicy> {
    if (!accountId) return { accountId: null, source: 'default', policy: { ...defaultAccountPolicy }, note: 'no accountId given: the default account policy' };
    let snapshot: KeySnapshot;
    try {
      snapshot = await this.keySnapshot();
    } catch (error) {
      return {
        accountId,
        source: 'default',
        policy: { ...defaultAccountPolicy },
        note: `account settings unavailable (${(error as Error).message}): the default account policy`,
      };
    }
    const account = snapshot.accounts.find((candidate) => candidate.accountId === accountId);
    if (!account) throw new NotFoundError(`Account ${accountId} not found`, { account_id: accountId });
    const policy: AccountPolicy = {
      allowTraining: account.privacy.allowTraining,
      allowRetention: account.privacy.allowRetention,
      requireZdr: account.privacy.requireZdr,
      ignoredProviders: account.ignoredProviders,
      byokProviders: account.byokProviders,
    };
    if (account.allowedProviders) policy.allowedProviders = account.allowedProviders;
    return { accountId, source: 'account', policy };
  }

  private async keySnapshot(): Promise<KeySnapshot> {
    const now = this.clock.now();
    if (this.cached && now - this.cached.fetchedAt < this.config.ACCOUNT_CACHE_TTL_MS) return this.cached.snapshot;
    this.fetching ??= (async () => {
      try {
        // Billing answers in pages past one NATS message (thousands of keys).
        const pages = await this.nats.requestAll<KeySnapshot>(subjects.billing.keySnapshot, {}, { timeoutMs: this.config.ACCOUNT_LOOKUP_TIMEOUT_MS });
        const parsed = keySnapshotSchema.safeParse(mergeSnapshotPages(pages, keySnapshotPagedArrays));
        if (!parsed.success) throw new Error('billing sent a malformed key snapshot');
        this.cached = { snapshot: parsed.data, fetchedAt: this.clock.now() };
        return parsed.data;
      } finally {
        this.fetching = undefined;
      }
    })();
    return this.fetching;
  }
}
