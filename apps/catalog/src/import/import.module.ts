import { Module } from '@nestjs/common';
import { StoreModule } from '../store/store.module.js';
import { ImportController } from './import.controller.js';
import { ImportService } from './import.service.js';

@Module({
  imports: [StoreModule],
  controllers: [ImportController],
  providers: [ImportService],
})
export class ImportModule {}
