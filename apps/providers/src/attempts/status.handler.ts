import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { subjects } from '@switchyard/contracts';
import { z } from 'zod';
import { ProviderDirectory } from '../catalog/provider-directory.service.js';
import type { CredentialStatus } from '../credentials/credential-store.js';
import { accountIdSchema, parseInput, providerSlugSchema } from '../credentials/credentials.schema.js';
import { CredentialsService } from '../credentials/credentials.service.js';
import { AttemptHandler, type InflightAttempt } from './attempt.handler.js';

const statusRequestSchema = z.object({ accountId: accountIdSchema.optional(), provider: providerSlugSchema.optional() }).default({});

export interface ProvidersStatus {
  accepting: boolean;
  catalogVersion: number;
  credentials: CredentialStatus[];
  /** The answering replica's attempts only (the RPC goes to one member of the queue group). */
  inflight: InflightAttempt[];
  /**
   * Active providers without a usable platform key (ingress plans them last): `providersStatusSchema` in contracts.
   * `null` until this replica has the catalog (an empty list would read as "every provider has a key").
   */
  uncredentialed: string[] | null;
}

/** `sy.providers.status.v1` (Nest RPC): credential status (optionally for one account or provider) and in-flight attempts. */
@Controller()
export class StatusHandler {
  constructor(
    private readonly attempts: AttemptHandler,
    private readonly credentials: CredentialsService,
    private readonly directory: ProviderDirectory,
  ) {}

  @MessagePattern(subjects.providers.status)
  status(@Payload() payload: unknown): ProvidersStatus {
    const filter = parseInput(statusRequestSchema, payload, 'status request');
    return {
      accepting: this.attempts.accepting,
      catalogVersion: this.directory.version,
      credentials: this.credentials.list(filter),
      inflight: this.attempts.list(),
      uncredentialed: this.directory.loaded ? this.credentials.uncredentialed(this.directory.all().values()) : null,
    };
  }
}
