import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { CATALOG_CONFIG, type CatalogConfig } from '../config/catalog.config.js';
import { type ChangeEntry, diffFields } from './catalog-records.js';
import { CatalogRepository } from './catalog.repository.js';
import { CatalogSnapshotService } from './catalog-snapshot.service.js';
import { BUNDLED_SEED_URL, readSeed } from './seed-file.js';

export const SIMULATOR_PROVIDER = 'simulator';

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
      const simulator = seed.providers.find((provider) => provider.slug === SIMULATOR_PROVIDER);
      if (simulator) simulator.baseUrl = this.config.SIMULATOR_BASE_URL;
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
      const provider = await writer.provider(SIMULATOR_PROVIDER);
      if (!provider || provider.baseUrl === this.config.SIMULATOR_BASE_URL) return undefined;
      const updated = { ...provider, baseUrl: this.config.SIMULATOR_BASE_URL };
      await writer.updateProvider(updated);
      const changes: ChangeEntry[] = [{ kind: 'provider', id: SIMULATOR_PROVIDER, action: 'updated', fields: diffFields(provider, updated, ['baseUrl']) }];
      const version = await writer.recordChange('startup', `simulator base URL set to ${this.config.SIMULATOR_BASE_URL}`, changes);
      return { version, source: 'startup', changes };
    });
  }
}
