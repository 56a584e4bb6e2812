import { Controller, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { type Credits, credentialsChangedSchema, creditsRequestSchema, durableConsumers, subjects } from '@switchyard/contracts';
import { type ConsumedMessage, DurableConsumer, NatsService, parseConsumed } from '@switchyard/nest-kit';
import { parseOrBadRequest } from '../common/validation.js';
import { AccountsService } from './accounts.service.js';

/**
 * RPC `credits`, and the BYOK credentials feed from the providers service: `credentials-changed` from JetStream
 * (durable `billing-credentials`), so a key added while billing was down is applied when it is back. Each event is
 * applied in order and acked after; an older event than the one applied is ignored (by its `at`), so a redelivery
 * changes nothing.
 */
@Controller()
export class AccountsHandler implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('AccountsHandler');
  private consumer: DurableConsumer | undefined;

  constructor(
    private readonly accounts: AccountsService,
    private readonly nats: NatsService,
  ) {}

  @MessagePattern(subjects.billing.credits)
  async credits(@Payload() payload: unknown): Promise<Credits> {
    const request = parseOrBadRequest(creditsRequestSchema, payload, 'credits request');
    return this.accounts.credits(request.accountId);
  }

  async onApplicationBootstrap(): Promise<void> {
    this.consumer = new DurableConsumer(this.nats, {
      durable: durableConsumers.billingCredentials,
      filterSubject: subjects.providers.credentialsChanged,
      batchSize: 50,
      handler: (messages) => this.applyCredentials(messages),
    });
    await this.consumer.start();
  }

  private async applyCredentials(messages: ConsumedMessage[]): Promise<void> {
    for (const message of messages) {
      const parsed = parseConsumed(message, credentialsChangedSchema);
      if (!parsed.success) {
        // It would fail on every redelivery: logged and acked with the batch.
        this.logger.warn(`ignored a malformed credentials-changed event (stream seq ${message.seq}): ${parsed.error.message}`);
        continue;
      }
      await this.accounts.applyCredentialsChanged(parsed.data);
    }
  }

  async onModuleDestroy(): Promise<void> {
    await this.consumer?.stop();
  }
}
