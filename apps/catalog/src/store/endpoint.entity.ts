import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Prices are `numeric` columns; pg returns them as exact decimal strings. */
@Entity({ name: 'endpoints' })
export class EndpointEntity {
  @PrimaryColumn({ type: 'text' })
  id!: string;

  @Column({ name: 'model_id', type: 'text' })
  modelId!: string;

  @Column({ name: 'provider_slug', type: 'text' })
  providerSlug!: string;

  @Column({ type: 'text' })
  tag!: string;

  @Column({ type: 'text' })
  variant!: string;

  @Column({ name: 'upstream_model_id', type: 'text' })
  upstreamModelId!: string;

  @Column({ name: 'price_prompt', type: 'numeric' })
  pricePrompt!: string;

  @Column({ name: 'price_completion', type: 'numeric' })
  priceCompletion!: string;

  @Column({ name: 'price_request', type: 'numeric', nullable: true })
  priceRequest!: string | null;

  @Column({ name: 'price_image', type: 'numeric', nullable: true })
  priceImage!: string | null;

  @Column({ name: 'price_input_cache_read', type: 'numeric', nullable: true })
  priceInputCacheRead!: string | null;

  @Column({ name: 'price_input_cache_write', type: 'numeric', nullable: true })
  priceInputCacheWrite!: string | null;

  @Column({ name: 'price_internal_reasoning', type: 'numeric', nullable: true })
  priceInternalReasoning!: string | null;

  @Column({ type: 'numeric', nullable: true })
  discount!: string | null;

  @Column({ name: 'context_length', type: 'integer' })
  contextLength!: number;

  @Column({ name: 'max_completion_tokens', type: 'integer', nullable: true })
  maxCompletionTokens!: number | null;

  @Column({ name: 'max_prompt_tokens', type: 'integer', nullable: true })
  maxPromptTokens!: number | null;

  @Column({ type: 'text', nullable: true })
  quantization!: string | null;

  @Column({ name: 'supported_parameters', type: 'text', array: true })
  supportedParameters!: string[];

  @Column({ name: 'supports_implicit_caching', type: 'boolean' })
  supportsImplicitCaching!: boolean;

  @Column({ name: 'service_tier', type: 'text' })
  serviceTier!: string;

  @Column({ type: 'text' })
  status!: string;

  @Column({ name: 'created_at', type: 'timestamptz', insert: false, update: false })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'timestamptz', insert: false })
  updatedAt!: Date;
}
