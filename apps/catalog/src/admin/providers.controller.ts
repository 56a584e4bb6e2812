import { Body, Controller, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import type { CatalogProvider } from '@switchyard/llm-spec';
import { AdminOnly } from '@switchyard/nest-kit';
import { parseInput, providerCreateSchema, providerPatchSchema } from './admin.schema.js';
import { CatalogAdminService, type Mutation } from './catalog-admin.service.js';

@Controller('admin/providers')
@AdminOnly()
export class ProvidersController {
  constructor(private readonly catalog: CatalogAdminService) {}

  @Get()
  async list(): Promise<{ data: CatalogProvider[] }> {
    return { data: await this.catalog.listProviders() };
  }

  @Post()
  @HttpCode(201)
  create(@Body() body: unknown): Promise<Mutation<CatalogProvider>> {
    return this.catalog.createProvider(parseInput(providerCreateSchema, body));
  }

  @Get(':slug')
  async get(@Param('slug') slug: string): Promise<{ data: CatalogProvider }> {
    return { data: await this.catalog.getProvider(slug) };
  }

  @Patch(':slug')
  update(@Param('slug') slug: string, @Body() body: unknown): Promise<Mutation<CatalogProvider>> {
    return this.catalog.updateProvider(slug, parseInput(providerPatchSchema, body));
  }

  @Post(':slug/disable')
  @HttpCode(200)
  disable(@Param('slug') slug: string): Promise<Mutation<CatalogProvider>> {
    return this.catalog.setProviderStatus(slug, 'disabled');
  }

  @Post(':slug/enable')
  @HttpCode(200)
  enable(@Param('slug') slug: string): Promise<Mutation<CatalogProvider>> {
    return this.catalog.setProviderStatus(slug, 'active');
  }
}
