import { type DynamicModule, Global, Module } from '@nestjs/common';
import { NATS_OPTIONS, NatsService, type NatsModuleOptions } from './nats.service.js';

@Global()
@Module({})
export class NatsModule {
  static forRoot(options: NatsModuleOptions): DynamicModule {
    return {
      module: NatsModule,
      providers: [{ provide: NATS_OPTIONS, useValue: options }, NatsService],
      exports: [NatsService],
    };
  }
}
