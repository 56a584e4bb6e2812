import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { subjects } from '@switchyard/contracts';
import { type ExplainResponse, ExplainService } from './explain.service.js';

/** `sy.routing.explain.v1` (RPC): `{request, accountId?, sessionKey?}` → the plan with a reason per endpoint. */
@Controller()
export class ExplainHandler {
  constructor(private readonly explainer: ExplainService) {}

  @MessagePattern(subjects.routing.explain)
  explain(@Payload() data: unknown): Promise<ExplainResponse> {
    return this.explainer.explain(data);
  }
}
