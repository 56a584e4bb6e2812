import { Controller, Inject } from '@nestjs/common';
import { MessagePattern } from '@nestjs/microservices';
import { subjects } from '@switchyard/contracts';
import { routingTablePagedFields, type RoutingTable } from '@switchyard/llm-spec';
import { NatsService, replyInPages } from '@switchyard/nest-kit';
import type { Observable } from 'rxjs';
import { ROUTING_CONFIG, type RoutingConfig } from '../config/routing.config.js';
import { RoutingTableService } from './routing-table.service.js';

/**
 * `sy.routing.table.v1` (RPC, queue group `routing`): the current full table, e.g. for an ingress that starts or
 * that was told of a table too large to publish whole; one reply message per page of at most TABLE_PAGE_BYTES
 * (one page while the table fits).
 */
@Controller()
export class RoutingTableHandler {
  constructor(
    private readonly tables: RoutingTableService,
    private readonly nats: NatsService,
    @Inject(ROUTING_CONFIG) private readonly config: RoutingConfig,
  ) {}

  @MessagePattern(subjects.routing.table)
  table(): Observable<RoutingTable> {
    return replyInPages(this.tables.current(), routingTablePagedFields, { maxPayload: this.nats.maxPayload, pageBytes: this.config.TABLE_PAGE_BYTES });
  }
}
