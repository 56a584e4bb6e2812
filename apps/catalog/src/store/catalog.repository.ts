import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { CatalogEndpoint, CatalogModel, CatalogProvider } from '@switchyard/llm-spec';
import { DataSource, type EntityManager, MoreThan } from 'typeorm';
import { AliasEntity } from './alias.entity.js';
import { CatalogChangeEntity, CatalogStateEntity } from './catalog-change.entity.js';
import type { CatalogAlias, CatalogContents, ChangeEntry } from './catalog-records.js';
import { EndpointEntity } from './endpoint.entity.js';
import {
  endpointFromEntity,
  endpointToEntity,
  modelFromEntity,
  modelToEntity,
  providerFromEntity,
  providerToEntity,
} from './entity-mapping.js';
import { ModelEntity } from './model.entity.js';
import { ProviderEntity } from './provider.entity.js';

/** Every entity of the catalog, for DatabaseModule. */
export const catalogEntities = [ProviderEntity, ModelEntity, EndpointEntity, AliasEntity, CatalogStateEntity, CatalogChangeEntity];

export interface ChangeLogRecord {
  version: number;
  at: string;
  source: string;
  summary: string;
  changes: ChangeEntry[];
}

const INSERT_CHUNK = 500;

/**
 * The only place with SQL/TypeORM. Reads return domain records (llm-spec types); writes happen inside
 * `write()`, which serialises writers on every replica by locking the version row.
 */
@Injectable()
export class CatalogRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Everything stored, with the version it belongs to (one REPEATABLE READ transaction: a consistent picture). */
  async load(): Promise<CatalogContents> {
    return this.dataSource.transaction('REPEATABLE READ', async (manager) => {
      const state = await manager.findOneByOrFail(CatalogStateEntity, { id: 1 });
      // one connection: queries in sequence
      const providers = await manager.find(ProviderEntity, { order: { slug: 'ASC' } });
      const models = await manager.find(ModelEntity, { order: { id: 'ASC' } });
      const endpoints = await manager.find(EndpointEntity, { order: { id: 'ASC' } });
      const aliases = await manager.find(AliasEntity, { order: { alias: 'ASC' } });
      return {
        version: state.version,
        providers: providers.map(providerFromEntity),
        models: models.map(modelFromEntity),
        endpoints: endpoints.map(endpointFromEntity),
        aliases: aliases.map((row) => ({ alias: row.alias, target: row.targetModelId })),
      };
    });
  }

  async version(): Promise<number> {
    const state = await this.dataSource.manager.findOneByOrFail(CatalogStateEntity, { id: 1 });
    return state.version;
  }

  async changesSince(since: number, limit: number): Promise<ChangeLogRecord[]> {
    const rows = await this.dataSource.manager.find(CatalogChangeEntity, { where: { version: MoreThan(since) }, order: { version: 'ASC' }, take: limit });
    return rows.map((row) => ({ version: row.version, at: row.at.toISOString(), source: row.source, summary: row.summary, changes: row.changes as ChangeEntry[] }));
  }

  /** Runs `work` in one transaction holding the catalog's write lock. */
  async write<T>(work: (writer: CatalogWriter) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(async (manager) => {
      const rows: Array<{ version: string }> = await manager.query('SELECT version FROM catalog_state WHERE id = 1 FOR UPDATE');
      if (rows.length !== 1) throw new Error('catalog_state is missing its row; were the migrations run?');
      return work(new CatalogWriter(manager, Number(rows[0]!.version)));
    });
  }
}

/** Reads and writes inside one locked write transaction. */
export class CatalogWriter {
  constructor(
    private readonly manager: EntityManager,
    /** The catalog version before this transaction. */
    readonly baseVersion: number,
  ) {}

  async isEmpty(): Promise<boolean> {
    return (await this.manager.count(ProviderEntity)) === 0 && (await this.manager.count(ModelEntity)) === 0;
  }

  async providerSlugs(): Promise<string[]> {
    const rows = await this.manager.find(ProviderEntity, { select: { slug: true }, order: { slug: 'ASC' } });
    return rows.map((row) => row.slug);
  }

  async provider(slug: string): Promise<CatalogProvider | undefined> {
    const row = await this.manager.findOneBy(ProviderEntity, { slug });
    return row ? providerFromEntity(row) : undefined;
  }

  async model(id: string): Promise<CatalogModel | undefined> {
    const row = await this.manager.findOneBy(ModelEntity, { id });
    return row ? modelFromEntity(row) : undefined;
  }

  async endpoint(id: string): Promise<CatalogEndpoint | undefined> {
    const row = await this.manager.findOneBy(EndpointEntity, { id });
    return row ? endpointFromEntity(row) : undefined;
  }

  async alias(alias: string): Promise<CatalogAlias | undefined> {
    const row = await this.manager.findOneBy(AliasEntity, { alias });
    return row ? { alias: row.alias, target: row.targetModelId } : undefined;
  }

  async models(): Promise<CatalogModel[]> {
    return (await this.manager.find(ModelEntity)).map(modelFromEntity);
  }

  async endpointsOfProvider(providerSlug: string): Promise<CatalogEndpoint[]> {
    return (await this.manager.find(EndpointEntity, { where: { providerSlug } })).map(endpointFromEntity);
  }

  async insertProviders(providers: CatalogProvider[]): Promise<void> {
    for (let start = 0; start < providers.length; start += INSERT_CHUNK) {
      await this.manager.insert(ProviderEntity, providers.slice(start, start + INSERT_CHUNK).map(providerToEntity));
    }
  }

  async insertModels(models: CatalogModel[]): Promise<void> {
    for (let start = 0; start < models.length; start += INSERT_CHUNK) {
      await this.manager.insert(ModelEntity, models.slice(start, start + INSERT_CHUNK).map(modelToEntity));
    }
  }

  async insertEndpoints(endpoints: CatalogEndpoint[]): Promise<void> {
    for (let start = 0; start < endpoints.length; start += INSERT_CHUNK) {
      await this.manager.insert(EndpointEntity, endpoints.slice(start, start + INSERT_CHUNK).map(endpointToEntity));
    }
  }

  async updateProvider(provider: CatalogProvider): Promise<void> {
    const { slug, ...fields } = providerToEntity(provider);
    await this.manager.update(ProviderEntity, { slug }, { ...fields, updatedAt: () => 'now()' });
  }

  async updateModel(model: CatalogModel): Promise<void> {
    const { id, ...fields } = modelToEntity(model);
    await this.manager.update(ModelEntity, { id }, { ...fields, updatedAt: () => 'now()' });
  }

  async updateEndpoint(endpoint: CatalogEndpoint): Promise<void> {
    const { id, ...fields } = endpointToEntity(endpoint);
    await this.manager.update(EndpointEntity, { id }, { ...fields, updatedAt: () => 'now()' });
  }

  async putAlias(alias: string, target: string): Promise<void> {
    await this.manager.query(
      `INSERT INTO aliases (alias, target_model_id) VALUES ($1, $2)
       ON CONFLICT (alias) DO UPDATE SET target_model_id = EXCLUDED.target_model_id, updated_at = now()`,
      [alias, target],
    );
  }

  async insertAliases(aliases: CatalogAlias[]): Promise<void> {
    if (aliases.length === 0) return;
    await this.manager.insert(
      AliasEntity,
      aliases.map((entry) => ({ alias: entry.alias, targetModelId: entry.target })),
    );
  }

  async deleteAlias(alias: string): Promise<boolean> {
    const result = await this.manager.delete(AliasEntity, { alias });
    return (result.affected ?? 0) > 0;
  }

  /** Moves the catalog to the next version and records what changed; returns the new version. */
  async recordChange(source: string, summary: string, changes: ChangeEntry[]): Promise<number> {
    // TypeORM answers an UPDATE with [rows, affected count]
    const [rows] = (await this.manager.query('UPDATE catalog_state SET version = version + 1 WHERE id = 1 RETURNING version')) as [Array<{ version: string }>, number];
    const version = Number(rows[0]!.version);
    await this.manager.insert(CatalogChangeEntity, { version, at: new Date(), source, summary, changes });
    return version;
  }
}
