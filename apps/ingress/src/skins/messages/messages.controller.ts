import { Controller, HttpCode, Post, Req, Res } from '@nestjs/common';
import { AvailabilityError } from '@switchyard/contracts';
import { estimatePromptTokens } from '@switchyard/llm-spec';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AuthenticatorService } from '../../auth/authenticator.service.js';
import { GenerationPipelineService } from '../../chat/generation-pipeline.service.js';
import { invalidSkinRequest } from '../shared/invalid-request.js';
import { CatalogStateService } from '../../state/catalog-state.service.js';
import { renderFamilyError } from '../shared/family-error.js';
import { anthropicErrors } from './anthropic-errors.js';
import { openRouterIdForAnthropicName } from './anthropic-model.js';
import { messagesToCanonical } from './messages-request.mapper.js';
import { countTokensRequestSchema, messagesRequestSchema } from './messages-request.schema.js';
import { createMessagesSkin } from './messages.skin.js';

/**
 * `POST /api/v1/messages` — Anthropic's Messages API. The Anthropic SDKs (and Claude Code) use base URL
 * `<origin>/api` and append `/v1/messages`; the key comes as `x-api-key` or `Authorization: Bearer`.
 */
@Controller('api/v1')
export class MessagesController {
  constructor(
    private readonly authenticator: AuthenticatorService,
    private readonly pipeline: GenerationPipelineService,
    private readonly catalog: CatalogStateService,
  ) {}

  @Post('messages')
  @HttpCode(200)
  async create(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    try {
      const caller = await this.authenticator.authenticate(request.headers);
      const parsed = messagesRequestSchema.safeParse(request.body);
      if (!parsed.success) throw invalidSkinRequest(parsed.error);
      const canonical = messagesToCanonical(parsed.data, this.modelId(parsed.data.model));
      const skin = createMessagesSkin({ stopSequences: parsed.data.stop_sequences ?? [], estimatedInputTokens: estimatePromptTokens(canonical) });
      await this.pipeline.execute({ request, reply, caller, canonical, skin });
    } catch (error) {
      renderFamilyError(reply, anthropicErrors, error);
    }
  }

  /**
   * `POST /api/v1/messages/count_tokens` (Claude Code asks it before compacting): the gateway's prompt estimate
   * (about four characters a token plus per-message overhead, the figure admission uses), not the provider's
   * tokenizer count.
   */
  @Post('messages/count_tokens')
  @HttpCode(200)
  async countTokens(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    try {
      await this.authenticator.authenticate(request.headers);
      const parsed = countTokensRequestSchema.safeParse(request.body);
      if (!parsed.success) throw invalidSkinRequest(parsed.error);
      const model = this.modelId(parsed.data.model);
      if (this.catalog.index && !this.catalog.index.resolveModel(model)) {
        throw new AvailabilityError(400, 'model_not_found', `${model} is not a valid model ID`, { requested_models: [model] });
      }
      const canonical = messagesToCanonical(parsed.data, model);
      await reply.status(200).header('Content-Type', 'application/json; charset=utf-8').send(JSON.stringify({ input_tokens: estimatePromptTokens(canonical) }));
    } catch (error) {
      renderFamilyError(reply, anthropicErrors, error);
    }
  }

  /** The model as given when the catalog knows it; else, for a bare Claude name, the catalog's Anthropic id. */
  private modelId(model: string): string {
    const index = this.catalog.index;
    if (!index || index.resolveModel(model)) return model;
    const mapped = openRouterIdForAnthropicName(model);
    return mapped && index.resolveModel(mapped) ? mapped : model;
  }
}
