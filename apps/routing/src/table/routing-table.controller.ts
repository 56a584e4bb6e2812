import { Controller, Get } from '@nestjs/common';
import type { RoutingTable } from '@switchyard/llm-spec';
import { AdminOnly } from '@switchyard/nest-kit';
import { RoutingTableService } from './routing-table.service.js';

@Controller('admin')
@AdminOnly()
export class RoutingTableController {
  constructor(private readonly tables: RoutingTableService) {}

  /** The table exactly as ingress receives it (a fresh version). */
  @Get('routing-table')
  table(): RoutingTable {
    return this.tables.current();
  }
}
