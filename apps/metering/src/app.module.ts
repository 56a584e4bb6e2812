import { type DynamicModule, Global, Module } from '@nestjs/common';
import { CoreModule, DatabaseModule } from '@switchyard/nest-kit';
import { ActivityModule } from './activity/activity.module.js';
import { METERING_CONFIG, type MeteringConfig } from './config/metering.config.js';
import { DeadLettersModule } from './dead-letters/dead-letters.module.js';
import { GenerationsModule } from './generations/generations.module.js';
import { CreateMeteringSchema1763900000000 } from './migrations/1763900000000-create-metering-schema.js';
import { AttemptUsageChargeInputs1764100000000 } from './migrations/1764100000000-attempt-usage-charge-inputs.js';
import { GenerationFeedback1764720000000 } from './migrations/1764720000000-generation-feedback.js';
import { GenerationResponseCacheSource1764800000000 } from './migrations/1764800000000-generation-response-cache-source.js';
import { UsageDailyEndpoints1764900000000 } from './migrations/1764900000000-usage-daily-endpoints.js';
import { GenerationPreset1765000000000 } from './migrations/1765000000000-generation-preset.js';
import { ReconciliationModule } from './reconciliation/reconciliation.module.js';

export const METERING_MIGRATIONS = [CreateMeteringSchema1763900000000, AttemptUsageChargeInputs1764100000000, GenerationFeedback1764720000000, GenerationResponseCacheSource1764800000000, UsageDailyEndpoints1764900000000, GenerationPreset1765000000000];

@Global()
@Module({})
class MeteringConfigModule {
  static forRoot(config: MeteringConfig): DynamicModule {
    return { module: MeteringConfigModule, providers: [{ provide: METERING_CONFIG, useValue: config }], exports: [METERING_CONFIG] };
  }
}

@Module({})
export class AppModule {
  static forRoot(config: MeteringConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        MeteringConfigModule.forRoot(config),
        CoreModule.forRoot({ serviceName: 'metering', natsUrl: config.NATS_URL, adminToken: config.ADMIN_TOKEN! }),
        DatabaseModule.forRoot({ url: config.DATABASE_URL, schema: config.DB_SCHEMA, entities: [], migrations: METERING_MIGRATIONS, poolSize: config.DB_POOL_SIZE }),
        DeadLettersModule,
        GenerationsModule,
        ActivityModule,
        ReconciliationModule,
      ],
    };
  }
}
