import { Inject, Injectable } from '@nestjs/common';
import { BadRequestError } from '@switchyard/contracts';
import { CATALOG_CONFIG, type CatalogConfig } from '../config/catalog.config.js';
import { CatalogRepository } from '../store/catalog.repository.js';
import { CatalogSnapshotService } from '../store/catalog-snapshot.service.js';
import { type ImportDiff, planImport } from './import-diff.js';
import type { ImportRequest } from './import.schema.js';
import { fetchModelList } from './model-list.fetcher.js';
import { mapOpenRouterModels } from './openrouter-import.mapper.js';
import { openRouterModelListSchema } from './openrouter-model.schema.js';

export interface ImportResult extends ImportDiff {
  provider: string;
  dryRun: boolean;
  /** The catalog version after the import (the current one for a dry run or an import that changed nothing). */
  version: number;
}

/**
 * Imports an OpenRouter-format model list as models plus one endpoint per model for one provider. A dry run
 * reports the diff and writes nothing; a real import recomputes the diff under the write lock and applies it in
 * one transaction with one version bump.
 */
@Injectable()
export class ImportService {
  constructor(
    private readonly repository: CatalogRepository,
    private readonly snapshots: CatalogSnapshotService,
    @Inject(CATALOG_CONFIG) private readonly config: CatalogConfig,
  ) {}

  async import(request: ImportRequest): Promise<ImportResult> {
    const document =
      request.url !== undefined
        ? await fetchModelList(request.url, {
            allowedHosts: this.config.CATALOG_IMPORT_ALLOWED_HOSTS,
            timeoutMs: this.config.CATALOG_IMPORT_TIMEOUT_MS,
            maxBytes: this.config.CATALOG_IMPORT_MAX_BYTES,
          })
        : request.models;
    const list = openRouterModelListSchema.safeParse(document);
    if (!list.success) {
      throw new BadRequestError(`${request.url !== undefined ? 'the document at url' : 'models'}: expected an OpenRouter /models response ({"data":[...]}) or its data array`, {
        field: request.url !== undefined ? 'url' : 'models',
      });
    }
    const mapped = mapOpenRouterModels(list.data, { provider: request.provider, upstreamModelIdFrom: request.upstreamModelIdFrom });
    const options = { provider: request.provider, disableMissing: request.disableMissing };

    const outcome = await this.repository.write(async (writer) => {
      if (!(await writer.provider(request.provider))) {
        throw new BadRequestError(`provider: no provider "${request.provider}"; create it first (POST /admin/providers)`, { field: 'provider' });
      }
      const models = await writer.models();
      const endpoints = await writer.endpointsOfProvider(request.provider);
      const plan = planImport({ models: new Map(models.map((model) => [model.id, model])), endpoints: new Map(endpoints.map((endpoint) => [endpoint.id, endpoint])) }, mapped, options);
      if (request.dryRun || plan.changes.length === 0) return { plan, version: writer.baseVersion, written: false };
      await writer.insertModels(plan.insertModels);
      for (const model of plan.updateModels) await writer.updateModel(model);
      await writer.insertEndpoints(plan.insertEndpoints);
      for (const endpoint of plan.updateEndpoints) await writer.updateEndpoint(endpoint);
      const { created, updated, disabled } = plan.diff;
      const summary = `import for ${request.provider}: ${created.length} created, ${updated.length} updated, ${plan.diff.unchanged} unchanged${disabled ? `, ${disabled.length} disabled` : ''}`;
      const version = await writer.recordChange('import', summary, plan.changes);
      return { plan, version, written: true };
    });
    // A dry run holds the lock only to read a consistent picture; the transaction above wrote nothing.
    if (outcome.written) await this.snapshots.changed(outcome.version, 'import', outcome.plan.changes);
    return { provider: request.provider, dryRun: request.dryRun, version: outcome.version, ...outcome.plan.diff };
  }
}
