import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { type KeyLookupReply, type KeySnapshot, keyInfoRequestSchema, keyLookupRequestSchema, subjects } from '@switchyard/contracts';
import { parseOrBadRequest } from '../common/validation.js';
import { KeysService } from './keys.service.js';

/**
 * RPCs about keys: the snapshot ingress authenticates from, one key it does not know yet, `/key` data, and the
 * key-management API.
 */
@Controller()
export class KeysHandler {
  constructor(private readonly keys: KeysService) {}

  @MessagePattern(subjects.billing.keySnapshot)
  snapshot(): Promise<KeySnapshot> {
    return this.keys.snapshot();
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
