import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { AdminOnly } from '@switchyard/nest-kit';
import { parseInput } from '../admin/admin.schema.js';
import { importRequestSchema } from './import.schema.js';
import { type ImportResult, ImportService } from './import.service.js';

@Controller('admin/import')
@AdminOnly()
export class ImportController {
  constructor(private readonly imports: ImportService) {}

  /** `{"provider":"openrouter","url":"https://openrouter.ai/api/v1/models","dryRun":true}` → the diff. */
  @Post()
  @HttpCode(200)
  run(@Body() body: unknown): Promise<ImportResult> {
    return this.imports.import(parseInput(importRequestSchema, body));
  }
}
