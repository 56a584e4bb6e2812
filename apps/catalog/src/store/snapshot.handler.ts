import { Controller, Inject } from '@nestjs/common';
import { MessagePattern } from '@nestjs/microservices';
import { subjects } from '@switchyard/contracts';
import { catalogSnapshotPagedArrays, type CatalogSnapshot } from '@switchyard/llm-spec';
import { NatsService, replyInPages } from '@switchyard/nest-kit';
import type { Observable } from 'rxjs';
import { CATALOG_CONFIG, type CatalogConfig } from '../config/catalog.config.js';
import { CatalogSnapshotService } from './catalog-snapshot.service.js';

/**
 * RPC `catalog.snapshot`: the whole active catalog from memory (never a database query per request), in pages of
 * one version when it does not fit in one NATS message (an imported catalog of hundreds of models with their
 * descriptions); callers collect them with NatsService.requestAll.
 */
@Controller()
export class SnapshotHandler {
  constructor(
    private readonly snapshots: CatalogSnapshotService,
    private readonly nats: NatsService,
    @Inject(CATALOG_CONFIG) private readonly config: CatalogConfig,
  ) {}

  @MessagePattern(subjects.catalog.snapshot)
  async snapshot(): Promise<Observable<CatalogSnapshot>> {
    return replyInPages(await this.snapshots.forRequest(), catalogSnapshotPagedArrays, { maxPayload: this.nats.maxPayload, pageBytes: this.config.CATALOG_SNAPSHOT_PAGE_BYTES });
  }
}
