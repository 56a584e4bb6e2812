import { Module } from '@nestjs/common';
import { ProviderDirectory } from './provider-directory.service.js';

@Module({
  providers: [ProviderDirectory],
  exports: [ProviderDirectory],
})
export class CatalogModule {}
