import { Controller, Inject } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { type KeyLookupReply, type KeySnapshot, keyInfoRequestSchema, keyLookupRequestSchema, keySnapshotPagedArrays, subjects, type UserLimitsSnapshot, userLimitsPagedArrays } from '@switchyard/contracts';
import { NatsService, replyInPages } from '@switchyard/nest-kit';
import type { Observable } from 'rxjs';
import { parseOrBadRequest } from '../common/validation.js';
import { BILLING_CONFIG, type BillingConfig } from '../config/billing.config.js';
import { KeysService } from './keys.service.js';

/**
 * RPCs about keys: the snapshot ingress authenticates from, one key it does not know yet, `/key` data, and the
 * key-management API.
 */
@Controller()
export class KeysHandler {
  constructor(
    private readonly keys: KeysService,
    private readonly nats: NatsService,
    @Inject(BILLING_CONFIG) private readonly config: BillingConfig,
  ) {}

  /**
   * Every key and account, in pages when they would not fit in one NATS message (one reply message per page, all
   * of one version; callers collect them with NatsService.requestAll): thousands of keys stay servable.
   */
  @MessagePattern(subjects.billing.keySnapshot)
  async snapshot(): Promise<Observable<KeySnapshot>> {
    return replyInPages(await this.keys.snapshot(), keySnapshotPagedArrays, { maxPayload: this.nats.maxPayload, pageBytes: this.config.KEY_SNAPSHOT_PAGE_BYTES });
  }

  /** Every end user at their key's user limit now (in pages past one NATS message). */
  @MessagePattern(subjects.billing.userLimits)
  async userLimits(): Promise<Observable<UserLimitsSnapshot>> {
    return replyInPages(await this.keys.userLimitBlocks(), userLimitsPagedArrays, { maxPayload: this.nats.maxPayload, pageBytes: this.config.KEY_SNAPSHOT_PAGE_BYTES });
  }

  @MessagePattern(subjects.billing.keyLookup)
  lookup(@Payload() payload: unknown): Promise<KeyLookupReply> {
    return this.keys.lookup(parseOrBadRequest(keyLookupRequestSchema, payload, 'key-lookup request').hash);
  }

  @MessagePattern(subjects.billing.keyInfo)
  keyInfo(@Payload() payload: unknown) {
    return this.keys.keyInfo(parseOrBadRequest(keyInfoRequestSchema, payload, 'key-info request').hash);
  }

  @MessagePattern(subjects.billing.keys)
  manage(@Payload() payload: unknown): Promise<unknown> {
    return this.keys.manage(payload);
  }
}
