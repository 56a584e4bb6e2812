import { type DynamicModule, Module } from '@nestjs/common';
import { CoreModule, DatabaseModule } from '@switchyard/nest-kit';
import { AttemptsModule } from './attempts/attempts.module.js';
import { CatalogModule } from './catalog/catalog.module.js';
import { ProvidersConfigModule } from './config/config.module.js';
import type { ProvidersConfig } from './config/providers.config.js';
import { CredentialEntity } from './credentials/credential.entity.js';
import { CredentialsModule } from './credentials/credentials.module.js';
import { EmbeddingsModule } from './embeddings/embeddings.module.js';
import { CreateCredentials1764000000000 } from './migrations/1764000000000-create-credentials.js';

@Module({})
export class AppModule {
  static forRoot(config: ProvidersConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ProvidersConfigModule.forRoot(config),
        CoreModule.forRoot({ serviceName: 'providers', natsUrl: config.NATS_URL, adminToken: config.ADMIN_TOKEN }),
        DatabaseModule.forRoot({ url: config.DATABASE_URL, schema: config.DB_SCHEMA, entities: [CredentialEntity], migrations: [CreateCredentials1764000000000], poolSize: 4 }),
        CatalogModule,
        CredentialsModule,
        AttemptsModule,
        EmbeddingsModule,
      ],
    };
  }
}
