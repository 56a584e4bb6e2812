import {
  type CanonicalChatRequest,
  type CatalogSnapshot,
  type CatalogSnapshotInput,
  type EndpointHealth,
  type RoutingTable,
  catalogSnapshotSchema,
  routingTableSchema,
} from '@switchyard/llm-spec';
import { perMillionToPerToken } from '@switchyard/money';
import { CatalogIndex } from '../src/catalog-index.js';
import type { AccountPolicy, PlanInput } from '../src/plan-types.js';

export type ProviderInput = CatalogSnapshotInput['providers'][number];
export type ModelInput = CatalogSnapshotInput['models'][number];
export type EndpointInput = CatalogSnapshotInput['endpoints'][number];
type HealthInput = Partial<EndpointHealth>;

/** USD per million tokens → the per-token decimal string of the catalog ("1" → "0.000001"). */
export function perMillion(value: number | string): string {
  return perMillionToPerToken(value).toString();
}

export interface ProviderOptions {
  name?: string;
  training?: boolean;
  retainsPrompts?: boolean;
  zdr?: boolean;
  status?: 'active' | 'disabled';
}

/** A provider that neither trains nor retains and offers ZDR unless told otherwise. */
export function provider(slug: string, options: ProviderOptions = {}): ProviderInput {
  return {
    slug,
    name: options.name ?? slug.charAt(0).toUpperCase() + slug.slice(1),
    wireFormat: 'openai',
    baseUrl: `https://${slug}.example.com/v1`,
    dataPolicy: { training: options.training ?? false, retainsPrompts: options.retainsPrompts ?? false, zdr: options.zdr ?? true },
    status: options.status ?? 'active',
  };
}

export function model(id: string, overrides: Partial<ModelInput> = {}): ModelInput {
  return { id, canonicalSlug: id, name: id, created: 1_700_000_000, contextLength: 128_000, ...overrides };
}

export interface EndpointOptions {
  /** USD per million prompt tokens (default 1). */
  prompt?: number | string;
  /** USD per million completion tokens (default 0). */
  completion?: number | string;
  request?: string;
  image?: string;
  cacheRead?: string;
  discount?: number;
  variant?: 'standard' | 'free' | 'extended' | 'thinking';
  serviceTier?: 'default' | 'flex' | 'priority';
  contextLength?: number;
  maxCompletionTokens?: number | null;
  maxPromptTokens?: number | null;
  quantization?: EndpointInput['quantization'];
  supportedParameters?: string[];
  supportsImplicitCaching?: boolean;
  status?: 'active' | 'disabled';
}

/** An endpoint of `modelId` at `tag` ("deepinfra" or "deepinfra/turbo"); id "<model>[:variant]@<tag>". */
export function endpoint(modelId: string, tag: string, options: EndpointOptions = {}): EndpointInput {
  const variant = options.variant ?? 'standard';
  const pricing: EndpointInput['pricing'] = {
    prompt: perMillion(options.prompt ?? 1),
    completion: perMillion(options.completion ?? 0),
  };
  if (options.request !== undefined) pricing.request = options.request;
  if (options.image !== undefined) pricing.image = options.image;
  if (options.cacheRead !== undefined) pricing.input_cache_read = options.cacheRead;
  if (options.discount !== undefined) pricing.discount = options.discount;
  return {
    id: `${modelId}${variant === 'standard' ? '' : `:${variant}`}@${tag}`,
    modelId,
    providerSlug: tag.split('/')[0],
    tag,
    variant,
    upstreamModelId: modelId.split('/')[1],
    pricing,
    contextLength: options.contextLength ?? 128_000,
    maxCompletionTokens: options.maxCompletionTokens ?? null,
    maxPromptTokens: options.maxPromptTokens ?? null,
    quantization: options.quantization ?? null,
    supportedParameters: options.supportedParameters ?? ['temperature', 'max_tokens', 'tools', 'tool_choice', 'response_format'],
    supportsImplicitCaching: options.supportsImplicitCaching ?? false,
    serviceTier: options.serviceTier ?? 'default',
    status: options.status ?? 'active',
  };
}

export function snapshot(parts: { providers: ProviderInput[]; models: ModelInput[]; endpoints: EndpointInput[]; aliases?: Record<string, string>; version?: number }): CatalogSnapshot {
  return catalogSnapshotSchema.parse({ version: parts.version ?? 1, generatedAt: '2026-01-01T00:00:00.000Z', aliases: {}, ...parts });
}

export function catalog(parts: Parameters<typeof snapshot>[0]): CatalogIndex {
  return CatalogIndex.build(snapshot(parts));
}

export function table(entries: Record<string, HealthInput> = {}): RoutingTable {
  return routingTableSchema.parse({ version: 1, generatedAt: '2026-01-01T00:00:00.000Z', endpoints: entries });
}

export function chatRequest(overrides: Partial<CanonicalChatRequest> = {}): CanonicalChatRequest {
  return { model: 'acme/chat', messages: [{ role: 'user', content: 'Hello' }], stream: false, ...overrides };
}

export const openAccount: AccountPolicy = { allowTraining: true, allowRetention: true, requireZdr: false };
export const defaultAccount: AccountPolicy = { allowTraining: false, allowRetention: true, requireZdr: false };

export const NOW = 1_800_000_000_000;

/** Mulberry32: a tiny seeded PRNG, uniform in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function planInput(parts: Partial<PlanInput> & { catalog: CatalogIndex }): PlanInput {
  return {
    request: chatRequest(),
    routingTable: table(),
    account: openAccount,
    now: NOW,
    random: seededRandom(1),
    ...parts,
  };
}
