import { Body, Controller, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import type { CatalogEndpoint, CatalogModel } from '@switchyard/llm-spec';
import { AdminOnly } from '@switchyard/nest-kit';
import { modelCreateSchema, modelPatchSchema, parseInput } from './admin.schema.js';
import { CatalogAdminService, type Mutation } from './catalog-admin.service.js';

/** Models are addressed as `/admin/models/<author>/<slug>` (the model id's two halves). */
@Controller('admin/models')
@AdminOnly()
export class ModelsController {
  constructor(private readonly catalog: CatalogAdminService) {}

  @Get()
  async list(): Promise<{ data: CatalogModel[] }> {
    return { data: await this.catalog.listModels() };
  }

  @Post()
  @HttpCode(201)
  create(@Body() body: unknown): Promise<Mutation<CatalogModel>> {
    return this.catalog.createModel(parseInput(modelCreateSchema, body));
  }

  @Get(':author/:slug')
  async get(@Param('author') author: string, @Param('slug') slug: string): Promise<{ data: CatalogModel & { endpoints: CatalogEndpoint[] } }> {
    return { data: await this.catalog.getModel(`${author}/${slug}`) };
  }

  @Patch(':author/:slug')
  update(@Param('author') author: string, @Param('slug') slug: string, @Body() body: unknown): Promise<Mutation<CatalogModel>> {
    return this.catalog.updateModel(`${author}/${slug}`, parseInput(modelPatchSchema, body));
  }

  @Post(':author/:slug/disable')
  @HttpCode(200)
  disable(@Param('author') author: string, @Param('slug') slug: string): Promise<Mutation<CatalogModel>> {
    return this.catalog.setModelStatus(`${author}/${slug}`, 'disabled');
  }

  @Post(':author/:slug/enable')
  @HttpCode(200)
  enable(@Param('author') author: string, @Param('slug') slug: string): Promise<Mutation<CatalogModel>> {
    return this.catalog.setModelStatus(`${author}/${slug}`, 'active');
  }
}
