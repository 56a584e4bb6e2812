import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { CATALOG_CONFIG, type CatalogConfig } from '../config/catalog.config.js';
import { type ChangeEntry, diffFields } from './catalog-records.js';
import { CatalogRepository } from './catalog.repository.js';
import { CatalogSnapshotService } from './catalog-snapshot.service.js';
import { BUNDLED_SEED_URL, readSeed } from './seed-file.js';

export const SIMULATOR_PROVIDER = 'simulator';

/**
 * Where a simulator provider lives given SIMULATOR_BASE_URL: `simulator` (OpenAI wire format) at that URL, every
 * other `simulator-*` provider (Anthropic, Gemini, Azure wire formats) at the same origin with its own path.
 */
export function simulatorBaseUrl(slug: string, seededBaseUrl: string, configured: string): string | undefined {
  if (slug === SIMULATOR_PROVIDER) return configured;
  if (!slug.startsWith(`${SIMULATOR_PROVIDER}-`)) return undefined;
  return new URL(new URL(seededBaseUrl).pathname, new URL(configured).origin).toString().replace(/\/$/, '');
}

/**
 * At start: seeds an empty catalog from `seed/market.json` (once, even with several replicas starting together:
 * the seed runs under the catalog's write lock and only when nothing is stored), points the simulator provider at
 * SIMULATOR_BASE_URL, then loads the in-memory snapshot.
 */
@Injectable()
export class CatalogBootstrapService implements OnApplicationBootstrap {
  private readonly logger = new Logger('CatalogBootstrap');
  private started: Promise<void> | undefined;

  constructor(
    private readonly repository: CatalogRepository,
    private readonly snapshots: CatalogSnapshotService,
    @Inject(CATALOG_CONFIG) private readonly config: CatalogConfig,
  ) {}

  onApplicationBootstrap(): Promise<void> {
    this.started ??= this.run();
    return this.started;
  }

  private async run(): Promise<void> {
    const seeded = await this.seedIfEmpty();
    const moved = await this.applySimulatorBaseUrl();
    await this.snapshots.start();
    for (const change of [seeded, moved]) if (change) await this.snapshots.changed(change.version, change.source, change.changes);
    this.logger.log(`catalog version ${this.snapshots.version} loaded`);
  }

  private async seedIfEmpty(): Promise<{ version: number; source: string; changes: ChangeEntry[] } | undefined> {
    const location = this.config.CATALOG_SEED_FILE ?? BUNDLED_SEED_URL;
    return this.repository.write(async (writer) => {
      if (!(await writer.isEmpty())) return undefined;
      const seed = await readSeed(location);
      for (const provider of seed.providers) provider.baseUrl = simulatorBaseUrl(provider.slug, provider.baseUrl, this.config.SIMULATOR_BASE_URL) ?? provider.baseUrl;
      await writer.insertProviders(seed.providers);
      await writer.insertModels(seed.models);
      await writer.insertEndpoints(seed.endpoints);
      await writer.insertAliases(seed.aliases);
      const summary = `seeded ${seed.providers.length} providers, ${seed.models.length} models, ${seed.endpoints.length} endpoints, ${seed.aliases.length} aliases`;
      const changes: ChangeEntry[] = [{ kind: 'import', id: 'seed', action: 'created' }];
      const version = await writer.recordChange('seed', summary, changes);
      this.logger.log(`${summary} from ${String(location)} (version ${version})`);
      return { version, source: 'seed', changes };
    });
  }

  private async applySimulatorBaseUrl(): Promise<{ version: number; source: string; changes: ChangeEntry[] } | undefined> {
    return this.repository.write(async (writer) => {
      const changes: ChangeEntry[] = [];
      for (const slug of await writer.providerSlugs()) {
        if (slug !== SIMULATOR_PROVIDER && !slug.startsWith(`${SIMULATOR_PROVIDER}-`)) continue;
        const provider = await writer.provider(slug);
        if (!provider) continue;
        const baseUrl = simulatorBaseUrl(slug, provider.baseUrl, this.config.SIMULATOR_BASE_URL);
        if (!baseUrl || provider.baseUrl === baseUrl) continue;
        const updated = { ...provider, baseUrl };
        await writer.updateProvider(updated);
        changes.push({ kind: 'provider', id: slug, action: 'updated', fields: diffFields(provider, updated, ['baseUrl']) });
      }
      if (changes.length === 0) return undefined;
      const version = await writer.recordChange('startup', `simulator base URLs set from ${this.config.SIMULATOR_BASE_URL}`, changes);
      return { version, source: 'startup', changes };
    });
  }
}
