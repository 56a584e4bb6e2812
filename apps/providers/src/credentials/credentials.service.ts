import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { Subscription } from '@nats-io/transport-node';
import { NotFoundError, subjects, type CredentialsChanged } from '@switchyard/contracts';
import { DurablePublisher, HealthRegistry, NatsService } from '@switchyard/nest-kit';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { PROVIDERS_CONFIG, type ProvidersConfig } from '../config/providers.config.js';
import { credentialAssociatedData, CredentialCipher, lastFour } from './credential-cipher.js';
import { CredentialStore, type CachedCredential, type CredentialStatus, type KeyResolution } from './credential-store.js';
import { CredentialsRepository, type CredentialRow } from './credentials.repository.js';

/**
 * Core NATS (every replica, no queue): a credential changed on one replica; the others reload it from Postgres.
 * Carries no secret. Derived from the contracts prefix; the lead should move it into `subjects.providers`.
 */
export const credentialsInvalidatedSubject = subjects.providers.credentialsInvalidated;

const invalidationSchema = z.object({
  replicaId: z.string(),
  provider: z.string(),
  accountId: z.string().nullable(),
  at: z.number(),
});
type CredentialsInvalidated = z.infer<typeof invalidationSchema>;

/**
 * Provider credentials: platform keys (environment or admin API) and accounts' own keys (BYOK), encrypted at rest
 * with AES-256-GCM and held decrypted in memory for the hot path. Loaded at start; a change on any replica
 * reaches the others through a small invalidation event (plus a reload after a NATS reconnect and a periodic
 * safety-net reload). Keys never appear in logs, events or status views.
 */
@Injectable()
export class CredentialsService implements OnModuleInit, OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Credentials');
  private readonly store: CredentialStore;
  private readonly cipher: CredentialCipher;
  private readonly replicaId = randomUUID();
  private subscription: Subscription | undefined;
  private stopReconnectListener: (() => void) | undefined;
  private refreshTimer: NodeJS.Timeout | undefined;
  /** Reloads run one after another, so an older read never overwrites a newer one. */
  private reloads: Promise<void> = Promise.resolve();
  private loaded = false;
  private lastReloadError: string | null = null;
  private readonly reportedProblems = new Set<string>();

  constructor(
    @Inject(PROVIDERS_CONFIG) private readonly config: ProvidersConfig,
    private readonly repository: CredentialsRepository,
    private readonly nats: NatsService,
    private readonly publisher: DurablePublisher,
    health: HealthRegistry,
  ) {
    this.store = new CredentialStore(config.platformApiKeys);
    this.cipher = new CredentialCipher(config.secretsKey);
    health.register('credentials', () => ({
      ok: this.loaded,
      detail: { ...this.store.size, keyId: this.cipher.keyId, developmentKey: config.usingDevelopmentSecretsKey, lastReloadError: this.lastReloadError },
    }));
  }

  async onModuleInit(): Promise<void> {
    if (this.config.usingDevelopmentSecretsKey) {
      this.logger.warn(
        '!!! SECRETS_KEY is not set: provider credentials are encrypted with the fixed DEVELOPMENT key, which is public. ' +
          'Set SECRETS_KEY (base64 of 32 random bytes: `openssl rand -base64 32`) before storing real keys. !!!',
      );
    }
    const envProviders = Object.keys(this.config.platformApiKeys);
    if (envProviders.length > 0) this.logger.log(`platform keys from the environment for: ${envProviders.sort().join(', ')}`);
    await this.reloadAll();
  }

  onApplicationBootstrap(): void {
    this.subscription = this.nats.subscribe(credentialsInvalidatedSubject, (data) => this.onInvalidated(data));
    this.stopReconnectListener = this.nats.onReconnect(() => void this.reloadAll().catch(() => undefined));
    this.refreshTimer = setInterval(() => void this.reloadAll().catch(() => undefined), this.config.CREDENTIALS_REFRESH_MS);
    this.refreshTimer.unref();
  }

  onModuleDestroy(): void {
    this.subscription?.unsubscribe();
    this.stopReconnectListener?.();
    if (this.refreshTimer) clearInterval(this.refreshTimer);
  }

  /** The hot path: which key an attempt uses (memory only). */
  resolve(providerSlug: string, options: { byok: boolean; accountId: string; simulator: boolean }): KeyResolution {
    return this.store.resolve(providerSlug, options);
  }

  list(filter: { provider?: string; accountId?: string } = {}): CredentialStatus[] {
    return this.store.list(filter);
  }

  /**
   * An account's own stored keys as the database holds them now (the management API's list): this replica's cache
   * is refreshed first, so a key stored or deleted a moment ago through another replica shows as it is.
   */
  async accountKeys(accountId: string): Promise<CredentialStatus[]> {
    await this.reloadAccount(accountId);
    return this.store.list({ accountId }).filter((status) => status.accountId === accountId);
  }

  /**
   * The active providers among `providers` that no request could call without its own key: no usable stored or
   * environment key, and not a simulator (which needs none). Ingress plans their endpoints last.
   */
  uncredentialed(providers: Iterable<{ slug: string; active: boolean; simulator: boolean }>): string[] {
    const slugs: string[] = [];
    for (const provider of providers) {
      if (provider.active && !this.store.resolve(provider.slug, { byok: false, accountId: '', simulator: provider.simulator }).ok) slugs.push(provider.slug);
    }
    return slugs.sort();
  }

  accountProviders(accountId: string): string[] {
    return this.store.accountProviders(accountId);
  }

  /** Stores (or replaces) a platform key (no account) or an account's own key, then tells every replica. */
  async put(input: { provider: string; apiKey: string; accountId?: string | null }): Promise<CredentialStatus> {
    const accountId = input.accountId ?? null;
    const secret = this.cipher.encrypt(input.apiKey, credentialAssociatedData(input.provider, accountId));
    const row = await this.repository.upsert({ provider: input.provider, accountId, secret, last4: lastFour(input.apiKey) });
    await this.afterChange(input.provider, accountId);
    this.logger.log(`stored the ${accountId === null ? 'platform' : `account ${accountId}`} key for ${input.provider} (…${row.last4})`);
    const status = this.store.list({ provider: input.provider, ...(accountId === null ? {} : { accountId }) }).find((entry) => entry.accountId === accountId && entry.source === 'stored');
    return status ?? { provider: row.provider, scope: accountId === null ? 'platform' : 'account', accountId, source: 'stored', last4: row.last4, usable: true, problem: null, createdAt: row.createdAt.toISOString(), updatedAt: row.updatedAt.toISOString() };
  }

  /** Deletes a stored key; 404 when there is none (an environment key cannot be deleted through the API). */
  async remove(provider: string, accountId: string | null): Promise<void> {
    const deleted = await this.repository.delete(provider, accountId);
    if (!deleted) {
      throw new NotFoundError(`No stored ${accountId === null ? 'platform' : 'account'} key for provider ${provider}${accountId === null ? '' : ` and account ${accountId}`}`, { provider, accountId });
    }
    await this.afterChange(provider, accountId);
    this.logger.log(`deleted the ${accountId === null ? 'platform' : `account ${accountId}`} key for ${provider}`);
  }

  /** Re-reads every stored key (start, reconnect, safety net). */
  reloadAll(): Promise<void> {
    return this.enqueue(async () => {
      const rows = await this.repository.findAll();
      this.store.replaceAll(rows.map((row) => this.open(row)));
      this.loaded = true;
    });
  }

  private reloadPlatform(): Promise<void> {
    return this.enqueue(async () => this.store.replacePlatform((await this.repository.findPlatform()).map((row) => this.open(row))));
  }

  private reloadAccount(accountId: string): Promise<void> {
    return this.enqueue(async () => this.store.replaceAccount(accountId, (await this.repository.findByAccount(accountId)).map((row) => this.open(row))));
  }

  private enqueue(work: () => Promise<void>): Promise<void> {
    const next = this.reloads.then(work).then(
      () => {
        this.lastReloadError = null;
      },
      (error: unknown) => {
        this.lastReloadError = (error as Error).message;
        this.logger.warn(`credential reload failed (${(error as Error).message}); serving the cached keys`);
        throw error;
      },
    );
    this.reloads = next.catch(() => undefined);
    return next;
  }

  private async afterChange(provider: string, accountId: string | null): Promise<void> {
    await (accountId === null ? this.reloadPlatform() : this.reloadAccount(accountId));
    const invalidation: CredentialsInvalidated = { replicaId: this.replicaId, provider, accountId, at: Date.now() };
    this.nats.publish(credentialsInvalidatedSubject, invalidation);
    if (accountId !== null) {
      // Through the outbox to JetStream (retried until acked): billing must learn of every BYOK key, even one added
      // while it was down, or the account's requests would go on the platform key at platform prices.
      const changed: CredentialsChanged = { accountId, providerSlugs: this.store.accountProviders(accountId), at: Date.now() };
      this.publisher.publish(subjects.providers.credentialsChanged, changed, `${accountId}:${changed.at}`);
    }
  }

  private onInvalidated(data: unknown): void {
    const parsed = invalidationSchema.safeParse(data);
    if (!parsed.success || parsed.data.replicaId === this.replicaId) return;
    const { accountId } = parsed.data;
    void (accountId === null ? this.reloadPlatform() : this.reloadAccount(accountId)).catch(() => {
      // Retried by the periodic reload.
    });
  }

  /** Decrypts a row; a row that does not open is kept as unusable (status shows why), never crashes the service. */
  private open(row: CredentialRow): CachedCredential {
    const base = { provider: row.provider, accountId: row.accountId, last4: row.last4, source: 'stored' as const, createdAt: row.createdAt, updatedAt: row.updatedAt };
    try {
      return { ...base, apiKey: this.cipher.decrypt(row.secret, credentialAssociatedData(row.provider, row.accountId)) };
    } catch (error) {
      const problem = (error as Error).message;
      const marker = `${row.provider}|${row.accountId ?? ''}|${row.updatedAt.getTime()}`;
      if (!this.reportedProblems.has(marker)) {
        this.reportedProblems.add(marker);
        this.logger.error(`the stored ${row.accountId === null ? 'platform' : `account ${row.accountId}`} key for ${row.provider} cannot be decrypted: ${problem}`);
      }
      return { ...base, apiKey: null, problem };
    }
  }
}
