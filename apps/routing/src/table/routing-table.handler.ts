import { Controller } from '@nestjs/common';
import { MessagePattern } from '@nestjs/microservices';
import { subjects } from '@switchyard/contracts';
import type { RoutingTable } from '@switchyard/llm-spec';
import { RoutingTableService } from './routing-table.service.js';

/** `sy.routing.table.v1` (RPC, queue group `routing`): the current full table, e.g. for an ingress that starts. */
@Controller()
export class RoutingTableHandler {
  constructor(private readonly tables: RoutingTableService) {}

  @MessagePattern(subjects.routing.table)
  table(): RoutingTable {
    return this.tables.current();
  }
}
