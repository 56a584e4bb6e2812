import { Global, Module } from '@nestjs/common';
import { ChangeFeed } from './change-feed.service.js';
import { RecordsRepository } from './records.repository.js';

/** Reading records (accounts, keys, usage windows) and announcing their changes; used by every feature. */
@Global()
@Module({
  providers: [RecordsRepository, ChangeFeed],
  exports: [RecordsRepository, ChangeFeed],
})
export class RecordsModule {}
