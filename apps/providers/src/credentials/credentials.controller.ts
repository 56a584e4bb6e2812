import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { BadRequestError } from '@switchyard/contracts';
import { AdminOnly } from '@switchyard/nest-kit';
import { ProviderDirectory } from '../catalog/provider-directory.service.js';
import type { CredentialStatus } from './credential-store.js';
import { createCredentialSchema, deleteCredentialQuerySchema, listCredentialsQuerySchema, parseInput, providerSlugSchema } from './credentials.schema.js';
import { CredentialsService } from './credentials.service.js';

/** Credential administration: status only (provider, scope, dates, last four characters), never a key. */
@Controller('admin/credentials')
@AdminOnly()
export class CredentialsController {
  constructor(
    private readonly credentials: CredentialsService,
    private readonly directory: ProviderDirectory,
  ) {}

  @Get()
  list(@Query() query: unknown): { data: CredentialStatus[] } {
    const filter = parseInput(listCredentialsQuerySchema, query, 'query');
    return { data: this.credentials.list(filter) };
  }

  @Post()
  @HttpCode(201)
  async create(@Body() body: unknown): Promise<{ data: CredentialStatus }> {
    const input = parseInput(createCredentialSchema, body, 'credential');
    if (this.directory.loaded && !this.directory.get(input.provider)) {
      throw new BadRequestError(`Unknown provider ${input.provider}: not in the catalog`, { provider: input.provider });
    }
    return { data: await this.credentials.put({ provider: input.provider, apiKey: input.apiKey, accountId: input.accountId ?? null }) };
  }

  @Delete(':provider')
  @HttpCode(204)
  async remove(@Param('provider') provider: string, @Query() query: unknown): Promise<void> {
    const slug = parseInput(providerSlugSchema, provider, 'provider');
    const { accountId } = parseInput(deleteCredentialQuerySchema, query, 'query');
    await this.credentials.remove(slug, accountId ?? null);
  }
}
