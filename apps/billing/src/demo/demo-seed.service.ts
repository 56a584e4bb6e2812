import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { hashApiKey } from '@switchyard/contracts';
import { toDecimal } from '@switchyard/money';
import { AccountsService } from '../accounts/accounts.service.js';
import { BILLING_CONFIG, type BillingConfig } from '../config/billing.config.js';
import { KeysRepository } from '../keys/keys.repository.js';
import { KeysService } from '../keys/keys.service.js';
import { CreditsService } from '../ledger/credits.service.js';
import { ChangeFeed } from '../records/change-feed.service.js';

/** Advisory lock id of the demo seeding (any constant; two replicas starting together take turns). */
const DEMO_SEED_LOCK = 7_315_402_118;

/**
 * With SWITCHYARD_DEMO_API_KEY set, makes sure on start that an account "Demo" owns that key (stored hashed) and
 * received SWITCHYARD_DEMO_CREDIT credits as a grant. Idempotent and safe with several replicas: one transaction
 * under an advisory lock, deterministic ids, and the grant keyed by the key's hash (granted once, ever).
 */
@Injectable()
export class DemoSeedService implements OnApplicationBootstrap {
  private readonly logger = new Logger('DemoSeed');

  constructor(
    private readonly feed: ChangeFeed,
    private readonly accounts: AccountsService,
    private readonly keys: KeysService,
    private readonly keysRepository: KeysRepository,
    private readonly credits: CreditsService,
    @Inject(BILLING_CONFIG) private readonly config: BillingConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const plaintext = this.config.SWITCHYARD_DEMO_API_KEY;
    if (!plaintext) return;
    const outcome = await this.seed(plaintext);
    this.logger.log(outcome === 'created' ? `demo account ready with ${this.config.SWITCHYARD_DEMO_CREDIT} USD of credits` : 'demo key already present');
  }

  async seed(plaintext: string): Promise<'created' | 'present'> {
    const hash = hashApiKey(plaintext);
    const accountId = `demo-${hash.slice(0, 16)}`;
    return this.feed.transact(async (manager, changes) => {
      await manager.query(`SELECT pg_advisory_xact_lock($1)`, [DEMO_SEED_LOCK]);
      if (await this.keysRepository.byHash(manager, hash)) return 'present';
      await this.accounts.createIn(manager, changes, { id: accountId, name: 'Demo' });
      await this.keys.createIn(manager, changes, accountId, { name: 'Demo key', kind: 'inference' }, plaintext);
      if (toDecimal(this.config.SWITCHYARD_DEMO_CREDIT).gt(0)) {
        await this.credits.topUpIn(manager, changes, accountId, { amount: this.config.SWITCHYARD_DEMO_CREDIT, method: 'grant', idempotencyKey: `demo:${hash}` });
      }
      return 'created';
    });
  }
}
