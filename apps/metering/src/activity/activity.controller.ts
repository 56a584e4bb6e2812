import { Controller, Get, Logger, Query, Res } from '@nestjs/common';
import { AdminOnly } from '@switchyard/nest-kit';
import type { FastifyReply } from 'fastify';
import { Readable } from 'node:stream';
import { parseParameters } from '../common/query-validation.js';
import { activityQuerySchema, usageExportQuerySchema } from './activity.query.js';
import { ActivityService, USAGE_CSV_HEADER } from './activity.service.js';
import { csvChunks } from './csv.writer.js';

/** Admin: activity and usage, read from the daily aggregates (never a scan of the generation log). */
@Controller('admin')
@AdminOnly()
export class ActivityController {
  private readonly logger = new Logger('ActivityController');

  constructor(private readonly activity: ActivityService) {}

  /** `GET /admin/activity?group_by=key|model|provider|day&from=YYYY-MM-DD&to=YYYY-MM-DD&account_id=&key_id=` */
  @Get('activity')
  async getActivity(@Query() query: unknown): Promise<{ group_by: string; from: string; to: string; data: Array<Record<string, unknown>> }> {
    return this.activity.groups(parseParameters(activityQuerySchema, query));
  }

  /** `GET /admin/usage.csv?from=&to=&account_id=`: the daily aggregates as a streamed RFC 4180 CSV with a header row. */
  @Get('usage.csv')
  async exportUsage(@Query() query: unknown, @Res() reply: FastifyReply): Promise<void> {
    const { window, rows } = await this.activity.usagePages(parseParameters(usageExportQuerySchema, query));
    const body = Readable.from(csvChunks(USAGE_CSV_HEADER, rows));
    body.on('error', (error) => this.logger.error(`usage export ${window.from}..${window.to} failed mid-stream: ${error.message}`));
    await reply
      .status(200)
      .header('Content-Type', 'text/csv; charset=utf-8; header=present')
      .header('Content-Disposition', `attachment; filename="usage-${window.from}-to-${window.to}.csv"`)
      .header('Cache-Control', 'no-store')
      .send(body);
  }
}
