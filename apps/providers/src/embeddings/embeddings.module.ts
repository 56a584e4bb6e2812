import { Module } from '@nestjs/common';
import { AttemptsModule } from '../attempts/attempts.module.js';
import { CatalogModule } from '../catalog/catalog.module.js';
import { CredentialsModule } from '../credentials/credentials.module.js';
import { EmbedEvents } from './embed-events.service.js';
import { EmbedHandler } from './embed.handler.js';

/**
 * Embeddings calls (`sy.providers.embed.v1`) on the providers service's catalog directory and credential store;
 * the upstream pools are the attempts module's own instance (looked up through ModuleRef, as that module does
 * not export them), so chat and embeddings share one keep-alive pool per origin.
 */
@Module({
  imports: [CatalogModule, CredentialsModule, AttemptsModule],
  providers: [EmbedHandler, EmbedEvents],
  exports: [EmbedHandler],
})
export class EmbeddingsModule {}
