import { Module } from '@nestjs/common';
import { CatalogModule } from '../catalog/catalog.module.js';
import { TableModule } from '../table/table.module.js';
import { AccountPolicyService } from './account-policy.service.js';
import { ExplainController } from './explain.controller.js';
import { ExplainHandler } from './explain.handler.js';
import { ExplainService } from './explain.service.js';

@Module({
  imports: [CatalogModule, TableModule],
  controllers: [ExplainHandler, ExplainController],
  providers: [ExplainService, AccountPolicyService],
})
export class ExplainModule {}
