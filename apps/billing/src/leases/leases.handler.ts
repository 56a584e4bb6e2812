import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { leaseRequestSchema, subjects } from '@switchyard/contracts';
import { decimalStringSchema } from '@switchyard/llm-spec';
import { z } from 'zod';
import { parseOrBadRequest } from '../common/validation.js';
import { type BillingLeaseReply, LeasesService } from './leases.service.js';

/** Fields billing accepts beyond the contract (proposed for it; see README). */
const leaseExtensionsSchema = z.object({ shrinkTo: decimalStringSchema.optional() });

@Controller()
export class LeasesHandler {
  constructor(private readonly leases: LeasesService) {}

  /** RPC `lease`: grant (or renew, with requested "0") an ingress replica's credit lease. */
  @MessagePattern(subjects.billing.lease)
  async lease(@Payload() payload: unknown): Promise<BillingLeaseReply> {
    const request = parseOrBadRequest(leaseRequestSchema, payload, 'lease request');
    const extensions = parseOrBadRequest(leaseExtensionsSchema, payload, 'lease request');
    return this.leases.lease({ ...request, shrinkTo: extensions.shrinkTo });
  }
}
