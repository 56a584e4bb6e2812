import { Controller, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import type { Subscription } from '@nats-io/transport-node';
import { type Credits, credentialsChangedSchema, creditsRequestSchema, subjects } from '@switchyard/contracts';
import { NatsService } from '@switchyard/nest-kit';
import { parseOrBadRequest } from '../common/validation.js';
import { AccountsService } from './accounts.service.js';

/** RPC `credits`, and the BYOK credentials feed from the providers service. */
@Controller()
export class AccountsHandler implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('AccountsHandler');
  private subscription: Subscription | undefined;

  constructor(
    private readonly accounts: AccountsService,
    private readonly nats: NatsService,
  ) {}

  @MessagePattern(subjects.billing.credits)
  async credits(@Payload() payload: unknown): Promise<Credits> {
    const request = parseOrBadRequest(creditsRequestSchema, payload, 'credits request');
    return this.accounts.credits(request.accountId);
  }

  onApplicationBootstrap(): void {
    // Queue group: one billing replica applies each event (the others hear the resulting keys-changed).
    this.subscription = this.nats.subscribe(
      subjects.providers.credentialsChanged,
      async (data) => {
        const parsed = credentialsChangedSchema.safeParse(data);
        if (!parsed.success) {
          this.logger.warn(`ignored a malformed credentials-changed event: ${parsed.error.message}`);
          return;
        }
        await this.accounts.applyCredentialsChanged(parsed.data);
      },
      { queue: 'billing', spanName: 'billing byok-sync' },
    );
  }

  onModuleDestroy(): void {
    this.subscription?.unsubscribe();
  }
}
