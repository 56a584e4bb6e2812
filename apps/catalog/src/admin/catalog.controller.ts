import { Body, Controller, Delete, Get, Param, Put, Query } from '@nestjs/common';
import type { CatalogSnapshot } from '@switchyard/llm-spec';
import { AdminOnly } from '@switchyard/nest-kit';
import type { CatalogAlias } from '../store/catalog-records.js';
import type { ChangeLogRecord } from '../store/catalog.repository.js';
import { CatalogSnapshotService } from '../store/catalog-snapshot.service.js';
import { aliasNameSchema, aliasPutSchema, changesQuerySchema, parseInput } from './admin.schema.js';
import { CatalogAdminService, type Mutation } from './catalog-admin.service.js';

/** Aliases, the catalog version, the change log and the served snapshot. */
@Controller('admin')
@AdminOnly()
export class CatalogController {
  constructor(
    private readonly catalog: CatalogAdminService,
    private readonly snapshots: CatalogSnapshotService,
  ) {}

  @Get('aliases')
  async listAliases(): Promise<{ data: CatalogAlias[] }> {
    return { data: await this.catalog.listAliases() };
  }

  /** `PUT /admin/aliases/~anthropic%2Fclaude-opus-latest {"target":"anthropic/claude-opus-4.5"}` */
  @Put('aliases/:alias')
  putAlias(@Param('alias') alias: string, @Body() body: unknown): Promise<Mutation<CatalogAlias>> {
    const name = parseInput(aliasNameSchema, alias, 'alias');
    return this.catalog.putAlias(name, parseInput(aliasPutSchema, body).target);
  }

  @Delete('aliases/:alias')
  deleteAlias(@Param('alias') alias: string): Promise<Mutation<CatalogAlias>> {
    return this.catalog.deleteAlias(parseInput(aliasNameSchema, alias, 'alias'));
  }

  @Get('catalog/version')
  version(): Promise<{ version: number; snapshotVersion: number }> {
    return this.catalog.version();
  }

  @Get('catalog/changes')
  async changes(@Query() query: unknown): Promise<{ data: ChangeLogRecord[]; version: number }> {
    const { since, limit } = parseInput(changesQuerySchema, query, 'query');
    const [data, { version }] = await Promise.all([this.catalog.changesSince(since, limit), this.catalog.version()]);
    return { data, version };
  }

  /** The snapshot exactly as the RPC serves it (from memory). */
  @Get('catalog/snapshot')
  snapshot(): Promise<CatalogSnapshot> {
    return this.snapshots.forRequest();
  }
}
