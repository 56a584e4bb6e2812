import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { guardrailsRequestSchema, subjects } from '@switchyard/contracts';
import { guardrailsPatchSchema } from '../accounts/account.schema.js';
import { AccountsService } from '../accounts/accounts.service.js';
import { parseOrBadRequest } from '../common/validation.js';

/**
 * The account holder's guardrails (`sy.billing.guardrails.v1`, from ingress's `GET|PATCH /api/v1/guardrails` under a
 * management key): the detectors and keywords ingress blocks (or redacts) requests on. A change reaches every ingress replica
 * with the account record (`keys-changed`); the operator's admin API (`PATCH /admin/accounts/:id`) sets the same.
 */
@Controller()
export class GuardrailsHandler {
  constructor(private readonly accounts: AccountsService) {}

  @MessagePattern(subjects.billing.guardrails)
  async handle(@Payload() payload: unknown): Promise<unknown> {
    const request = parseOrBadRequest(guardrailsRequestSchema, payload, 'guardrails request');
    const account =
      request.op === 'update'
        ? await this.accounts.update(request.accountId, { guardrails: parseOrBadRequest(guardrailsPatchSchema, request.body, 'guardrails') })
        : await this.accounts.row(request.accountId);
    return { data: { detectors: account.guardrail_detectors, keywords: account.guardrail_keywords, action: account.guardrail_action } };
  }
}
