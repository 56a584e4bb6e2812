import { Controller, Get } from '@nestjs/common';
import { AdminOnly } from '@switchyard/nest-kit';
import { AttemptHandler, type InflightAttempt } from './attempt.handler.js';

/** The attempts running on this replica (ids, provider, stage, age). */
@Controller('admin/inflight')
@AdminOnly()
export class InflightController {
  constructor(private readonly attempts: AttemptHandler) {}

  @Get()
  list(): { accepting: boolean; count: number; data: InflightAttempt[] } {
    const data = this.attempts.list();
    return { accepting: this.attempts.accepting, count: data.length, data };
  }
}
