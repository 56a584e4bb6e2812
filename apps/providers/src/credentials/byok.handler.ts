import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { BadRequestError, byokRequestSchema, subjects, type ByokKey } from '@switchyard/contracts';
import { z } from 'zod';
import { ProviderDirectory } from '../catalog/provider-directory.service.js';
import type { CredentialStatus } from './credential-store.js';
import { apiKeySchema, parseInput, providerSlugSchema } from './credentials.schema.js';
import { CredentialsService } from './credentials.service.js';

/** `POST /api/v1/byok`: the provider and the account's key for it, OpenRouter's snake_case. */
const byokBodySchema = z.strictObject({ provider: providerSlugSchema, api_key: apiKeySchema });

function view(status: CredentialStatus): ByokKey {
  return { provider: status.provider, last4: status.last4, usable: status.usable, problem: status.problem, created_at: status.createdAt, updated_at: status.updatedAt };
}

/**
 * The account holder's own provider keys (`sy.providers.byok.v1`, from ingress's `/api/v1/byok` under a management
 * key): the same store as the operator's `/admin/credentials` (encrypted at rest, every replica told, billing
 * learning the account's BYOK providers), scoped to the calling account. A key is never returned, only its last
 * four characters.
 */
@Controller()
export class ByokHandler {
  constructor(
    private readonly credentials: CredentialsService,
    private readonly directory: ProviderDirectory,
  ) {}

  @MessagePattern(subjects.providers.byok)
  async handle(@Payload() payload: unknown): Promise<unknown> {
    const request = parseInput(byokRequestSchema, payload, 'BYOK request');
    switch (request.op) {
      case 'list':
        return { data: (await this.credentials.accountKeys(request.accountId)).map(view) };
      case 'put': {
        const body = parseInput(byokBodySchema, request.body, 'provider key');
        if (!this.directory.get(body.provider)) throw new BadRequestError(`Unknown provider ${body.provider}: see GET /api/v1/providers`, { provider: body.provider });
        return { data: view(await this.credentials.put({ provider: body.provider, apiKey: body.api_key, accountId: request.accountId })) };
      }
      case 'delete':
        await this.credentials.remove(parseInput(providerSlugSchema, request.provider, 'provider'), request.accountId);
        return { deleted: true };
    }
  }
}
