import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { subjects } from '@switchyard/contracts';
import { AuthCodesService } from './auth-codes.service.js';

/** `sy.billing.auth-codes.v1`: OAuth PKCE codes for ingress's `/api/v1/auth/keys/code` and `/api/v1/auth/keys`. */
@Controller()
export class AuthCodesHandler {
  constructor(private readonly codes: AuthCodesService) {}

  @MessagePattern(subjects.billing.authCodes)
  handle(@Payload() payload: unknown): Promise<unknown> {
    return this.codes.handle(payload);
  }
}
