import { Controller } from '@nestjs/common';
import { MessagePattern } from '@nestjs/microservices';
import { subjects } from '@switchyard/contracts';
import type { CatalogSnapshot } from '@switchyard/llm-spec';
import { CatalogSnapshotService } from './catalog-snapshot.service.js';

/** RPC `catalog.snapshot`: the whole active catalog from memory (never a database query per request). */
@Controller()
export class SnapshotHandler {
  constructor(private readonly snapshots: CatalogSnapshotService) {}

  @MessagePattern(subjects.catalog.snapshot)
  snapshot(): Promise<CatalogSnapshot> {
    return this.snapshots.forRequest();
  }
}
