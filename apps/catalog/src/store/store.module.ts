import { Module } from '@nestjs/common';
import { CatalogBootstrapService } from './catalog-bootstrap.service.js';
import { CatalogRepository } from './catalog.repository.js';
import { CatalogSnapshotService } from './catalog-snapshot.service.js';
import { SnapshotHandler } from './snapshot.handler.js';

/** Persistence, the in-memory snapshot, the snapshot RPC, and seeding at start. */
@Module({
  controllers: [SnapshotHandler],
  providers: [CatalogRepository, CatalogSnapshotService, CatalogBootstrapService],
  exports: [CatalogRepository, CatalogSnapshotService],
})
export class StoreModule {}
