import { Body, Controller, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import type { CatalogEndpoint } from '@switchyard/llm-spec';
import { AdminOnly } from '@switchyard/nest-kit';
import { endpointCreateSchema, endpointListQuerySchema, endpointPatchSchema, parseInput } from './admin.schema.js';
import { CatalogAdminService, type Mutation } from './catalog-admin.service.js';

/**
 * Endpoint ids ("openai/gpt-4o-mini@openai", "x/y:z@groq/free") contain "/", "@" and ":": send them URL-encoded
 * in the path (`encodeURIComponent`), e.g. `/admin/endpoints/openai%2Fgpt-4o-mini%40openai`.
 */
@Controller('admin/endpoints')
@AdminOnly()
export class EndpointsController {
  constructor(private readonly catalog: CatalogAdminService) {}

  @Get()
  async list(@Query() query: unknown): Promise<{ data: CatalogEndpoint[] }> {
    return { data: await this.catalog.listEndpoints(parseInput(endpointListQuerySchema, query, 'query')) };
  }

  @Post()
  @HttpCode(201)
  create(@Body() body: unknown): Promise<Mutation<CatalogEndpoint>> {
    return this.catalog.createEndpoint(parseInput(endpointCreateSchema, body));
  }

  @Get(':id')
  async get(@Param('id') id: string): Promise<{ data: CatalogEndpoint }> {
    return { data: await this.catalog.getEndpoint(id) };
  }

  @Patch(':id')
  update(@Param('id') id: string, @Body() body: unknown): Promise<Mutation<CatalogEndpoint>> {
    return this.catalog.updateEndpoint(id, parseInput(endpointPatchSchema, body));
  }

  @Post(':id/disable')
  @HttpCode(200)
  disable(@Param('id') id: string): Promise<Mutation<CatalogEndpoint>> {
    return this.catalog.setEndpointStatus(id, 'disabled');
  }

  @Post(':id/enable')
  @HttpCode(200)
  enable(@Param('id') id: string): Promise<Mutation<CatalogEndpoint>> {
    return this.catalog.setEndpointStatus(id, 'active');
  }
}
