import { type DynamicModule, Module } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { CoreModule, DatabaseModule } from '@switchyard/nest-kit';
import { AccountByokMonthlyEntity } from './accounts/account-byok-monthly.entity.js';
import { AccountEntity } from './accounts/account.entity.js';
import { AccountsModule } from './accounts/accounts.module.js';
import { BalanceEntity } from './accounts/balance.entity.js';
import { AdminApiModule } from './admin/admin.module.js';
import { CLOCK, type Clock, systemClock } from './common/clock.js';
import { DatabaseUnavailableInterceptor } from './common/database-unavailable.interceptor.js';
import { BILLING_CONFIG, type BillingConfig } from './config/billing.config.js';
import { DebitsModule } from './debits/debits.module.js';
import { DemoModule } from './demo/demo.module.js';
import { FreeQuotaDailyEntity } from './free-quota/free-quota-daily.entity.js';
import { FreeQuotaModule } from './free-quota/free-quota.module.js';
import { ApiKeyEntity } from './keys/api-key.entity.js';
import { KeyUsageDailyEntity } from './keys/key-usage-daily.entity.js';
import { KeysModule } from './keys/keys.module.js';
import { LeaseEntity } from './leases/lease.entity.js';
import { LeasesModule } from './leases/leases.module.js';
import { CreditLotEntity } from './ledger/credit-lot.entity.js';
import { LedgerEntryEntity } from './ledger/ledger-entry.entity.js';
import { LedgerModule } from './ledger/ledger.module.js';
import { MaintenanceModule } from './maintenance/maintenance.module.js';
import { BillingSchema1764000000000 } from './migrations/1764000000000-billing-schema.js';
import { AuthCodes1764720000000 } from './migrations/1764720000000-auth-codes.js';
import { RunawayStop1764806400000 } from './migrations/1764806400000-runaway-stop.js';
import { SpendAlerts1764892800000 } from './migrations/1764892800000-spend-alerts.js';
import { Presets1765000000000 } from './migrations/1765000000000-presets.js';
import { KeyAllowedModels1765100000000 } from './migrations/1765100000000-key-allowed-models.js';
import { Guardrails1765200000000 } from './migrations/1765200000000-guardrails.js';
import { PresetCaching1765300000000 } from './migrations/1765300000000-preset-caching.js';
import { AlertWebhooks1765400000000 } from './migrations/1765400000000-alert-webhooks.js';
import { GuardrailAction1765500000000 } from './migrations/1765500000000-guardrail-action.js';
import { KeyGuardrails1765600000000 } from './migrations/1765600000000-key-guardrails.js';
import { KeyLimitAlerts1765700000000 } from './migrations/1765700000000-key-limit-alerts.js';
import { AlertRedelivery1765800000000 } from './migrations/1765800000000-alert-redelivery.js';
import { UserLimits1765900000000 } from './migrations/1765900000000-user-limits.js';
import { GuardrailsModule } from './guardrails/guardrails.module.js';
import { PresetsModule } from './presets/presets.module.js';
import { AuthCodesModule } from './auth-codes/auth-codes.module.js';
import { BillingStateEntity } from './records/billing-state.entity.js';
import { RecordsModule } from './records/records.module.js';

export const BILLING_ENTITIES = [
  AccountEntity,
  BalanceEntity,
  AccountByokMonthlyEntity,
  ApiKeyEntity,
  KeyUsageDailyEntity,
  CreditLotEntity,
  LedgerEntryEntity,
  LeaseEntity,
  FreeQuotaDailyEntity,
  BillingStateEntity,
];

export const BILLING_MIGRATIONS = [BillingSchema1764000000000, AuthCodes1764720000000, RunawayStop1764806400000, SpendAlerts1764892800000, Presets1765000000000, KeyAllowedModels1765100000000, Guardrails1765200000000, PresetCaching1765300000000, AlertWebhooks1765400000000, GuardrailAction1765500000000, KeyGuardrails1765600000000, KeyLimitAlerts1765700000000, AlertRedelivery1765800000000, UserLimits1765900000000];

@Module({})
class BillingConfigModule {
  static forRoot(config: BillingConfig, clock: Clock): DynamicModule {
    return {
      module: BillingConfigModule,
      global: true,
      providers: [
        { provide: BILLING_CONFIG, useValue: config },
        { provide: CLOCK, useValue: clock },
      ],
      exports: [BILLING_CONFIG, CLOCK],
    };
  }
}

export interface AppModuleOptions {
  /** Time source of every rule; tests pass a ManualClock. */
  clock?: Clock;
}

@Module({})
export class AppModule {
  static forRoot(config: BillingConfig, options: AppModuleOptions = {}): DynamicModule {
    return {
      module: AppModule,
      imports: [
        BillingConfigModule.forRoot(config, options.clock ?? systemClock),
        CoreModule.forRoot({ serviceName: 'billing', natsUrl: config.NATS_URL, adminToken: config.ADMIN_TOKEN! }),
        DatabaseModule.forRoot({ url: config.DATABASE_URL, schema: config.DB_SCHEMA, entities: BILLING_ENTITIES, migrations: BILLING_MIGRATIONS, poolSize: config.DB_POOL_SIZE }),
        RecordsModule,
        AccountsModule,
        LeasesModule,
        LedgerModule,
        KeysModule,
        AuthCodesModule,
        PresetsModule,
        GuardrailsModule,
        DebitsModule,
        FreeQuotaModule,
        MaintenanceModule,
        AdminApiModule,
        DemoModule,
      ],
      providers: [{ provide: APP_INTERCEPTOR, useClass: DatabaseUnavailableInterceptor }],
    };
  }
}
