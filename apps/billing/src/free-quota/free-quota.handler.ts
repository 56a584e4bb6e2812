import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { type FreeQuotaReply, freeQuotaRequestSchema, subjects } from '@switchyard/contracts';
import { parseOrBadRequest } from '../common/validation.js';
import { FreeQuotaService } from './free-quota.service.js';

@Controller()
export class FreeQuotaHandler {
  constructor(private readonly quota: FreeQuotaService) {}

  /** RPC `free-quota`: take one `:free` request of the account's quota (answered from memory). */
  @MessagePattern(subjects.billing.freeQuota)
  take(@Payload() payload: unknown): Promise<FreeQuotaReply> {
    return this.quota.take(parseOrBadRequest(freeQuotaRequestSchema, payload, 'free-quota request'));
  }
}
