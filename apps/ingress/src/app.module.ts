import { type DynamicModule, Module } from '@nestjs/common';
import { CoreModule } from '@switchyard/nest-kit';
import { AccountController } from './account/account.controller.js';
import { CreditLeaseService } from './admission/credit-lease.service.js';
import { UserLimitsService } from './admission/user-limits.service.js';
import { AuthenticatorService } from './auth/authenticator.service.js';
import { KeyCacheService } from './auth/key-cache.service.js';
import { AttemptRunnerService } from './chat/attempt-runner.service.js';
import { ChatController } from './chat/chat.controller.js';
import { GenerationPipelineService } from './chat/generation-pipeline.service.js';
import { ResponseCacheService } from './response-cache/response-cache.service.js';
import { ProviderCredentialsService } from './state/provider-credentials.service.js';
import { PresetStore } from './presets/preset-store.service.js';
import { PresetsController } from './presets/presets.controller.js';
import { INGRESS_CONFIG, type IngressConfig } from './config/ingress.config.js';
import { GenerationRecorderService } from './generation/generation-recorder.service.js';
import { ModelsController } from './models/models.controller.js';
import { CompletionsController } from './skins/completions/completions.controller.js';
import { EmbeddingsController } from './skins/embeddings/embeddings.controller.js';
import { RerankController } from './skins/rerank/rerank.controller.js';
import { UnaryGenerationService } from './skins/unary/unary-generation.service.js';
import { MessagesController } from './skins/messages/messages.controller.js';
import { ResponsesController } from './skins/responses/responses.controller.js';
import { CatalogStateService } from './state/catalog-state.service.js';

@Module({})
export class AppModule {
  static forRoot(config: IngressConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [CoreModule.forRoot({ serviceName: 'ingress', natsUrl: config.NATS_URL, adminToken: config.ADMIN_TOKEN!, adminControllers: false })],
      controllers: [ChatController, AccountController, ModelsController, MessagesController, ResponsesController, CompletionsController, EmbeddingsController, RerankController, PresetsController],
      providers: [
        { provide: INGRESS_CONFIG, useValue: config },
        CatalogStateService,
        KeyCacheService,
        AuthenticatorService,
        CreditLeaseService,
        AttemptRunnerService,
        GenerationRecorderService,
        GenerationPipelineService,
        ResponseCacheService,
        ProviderCredentialsService,
        PresetStore,
        UnaryGenerationService,
        UserLimitsService,
      ],
    };
  }
}
