import { type DynamicModule, Global, Module } from '@nestjs/common';
import { PROVIDERS_CONFIG, type ProvidersConfig } from './providers.config.js';

/** Makes the parsed configuration injectable everywhere (`@Inject(PROVIDERS_CONFIG)`). */
@Global()
@Module({})
export class ProvidersConfigModule {
  static forRoot(config: ProvidersConfig): DynamicModule {
    return { module: ProvidersConfigModule, providers: [{ provide: PROVIDERS_CONFIG, useValue: config }], exports: [PROVIDERS_CONFIG] };
  }
}
