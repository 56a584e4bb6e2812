import { Controller, Get, Header, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { AdminOnly } from './admin-token.guard.js';
import { HealthRegistry } from './health.registry.js';
import { MetricsService } from './metrics.service.js';

@Controller()
@AdminOnly()
export class AdminController {
  constructor(
    private readonly health: HealthRegistry,
    private readonly metrics: MetricsService,
  ) {}

  /** Readiness: 200 when every dependency check passes, 503 otherwise, with each check's detail. */
  @Get('admin/health')
  async getHealth(@Res() reply: FastifyReply): Promise<void> {
    const report = await this.health.report();
    await reply.status(report.status === 'ok' ? 200 : 503).send(report);
  }

  @Get('metrics')
  @Header('Cache-Control', 'no-store')
  async getMetrics(@Res() reply: FastifyReply): Promise<void> {
    const body = await this.metrics.registry.metrics();
    await reply.header('Content-Type', this.metrics.registry.contentType).send(body);
  }
}
