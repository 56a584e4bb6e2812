import { type CatalogEndpoint, type CatalogModel, type ReasoningCapabilities, catalogModelSchema } from '@switchyard/llm-spec';
import { toDecimal } from '@switchyard/money';
import { endpointId } from '../store/catalog-records.js';
import { type OpenRouterModel, openRouterModelSchema } from './openrouter-model.schema.js';

export type UpstreamModelIdSource = 'id' | 'canonical_slug';

export interface ImportMappingOptions {
  /** The provider slug every imported endpoint belongs to. */
  provider: string;
  /** Which field of the OpenRouter entry the provider's API expects as the model name (default `id`). */
  upstreamModelIdFrom?: UpstreamModelIdSource;
}

/** The endpoint fields an import owns; on an existing endpoint every other field is left as stored. */
export type ImportedEndpoint = Pick<
  CatalogEndpoint,
  'id' | 'modelId' | 'providerSlug' | 'tag' | 'variant' | 'upstreamModelId' | 'pricing' | 'contextLength' | 'maxCompletionTokens' | 'supportedParameters'
>;

export const IMPORTED_ENDPOINT_FIELDS = ['variant', 'upstreamModelId', 'pricing', 'contextLength', 'maxCompletionTokens', 'supportedParameters'] as const;

export interface SkippedEntry {
  id: string;
  reason: string;
}

export interface MappedImport {
  models: CatalogModel[];
  endpoints: ImportedEndpoint[];
  skipped: SkippedEntry[];
}

const VARIANT_SUFFIX = /:(free|extended|thinking)$/i;
const VARIANT_NAME_SUFFIX = /\s*\((free|extended|thinking)\)\s*$/i;

class SkipEntry extends Error {}

/**
 * Maps OpenRouter model objects to catalog models plus one endpoint per entry for `provider`:
 * - `x/y:free` (and `:extended`, `:thinking`) become an endpoint of `x/y` tagged `<provider>/free` with variant
 *   `free`; the model itself comes from the plain entry when the list has one.
 * - Prices are exact decimal strings (USD per token); optional prices that are absent or zero are left out;
 *   models with a negative price (OpenRouter's routers price "-1": decided per request) are skipped.
 * - Prices OpenRouter lists that the catalog has no field for (web_search, audio, ...) are not imported.
 * Entries that cannot be mapped are reported in `skipped` with a reason; the rest still import.
 */
export function mapOpenRouterModels(entries: readonly unknown[], options: ImportMappingOptions): MappedImport {
  const plain: Array<{ index: number; entry: OpenRouterModel }> = [];
  const variants: Array<{ index: number; entry: OpenRouterModel }> = [];
  const skipped: SkippedEntry[] = [];
  entries.forEach((raw, index) => {
    const parsed = openRouterModelSchema.safeParse(raw);
    if (!parsed.success) {
      const id = typeof (raw as { id?: unknown })?.id === 'string' ? (raw as { id: string }).id : `#${index}`;
      const issue = parsed.error.issues[0]!;
      skipped.push({ id, reason: `${issue.path.join('.') || 'entry'}: ${issue.message}` });
      return;
    }
    (VARIANT_SUFFIX.test(parsed.data.id) ? variants : plain).push({ index, entry: parsed.data });
  });

  const models = new Map<string, CatalogModel>();
  const endpoints = new Map<string, ImportedEndpoint>();
  for (const { entry } of [...plain, ...variants]) {
    try {
      const match = VARIANT_SUFFIX.exec(entry.id);
      const modelId = match ? entry.id.slice(0, match.index) : entry.id;
      const variant = (match?.[1]?.toLowerCase() ?? 'standard') as CatalogEndpoint['variant'];
      const pricing = mapPricing(entry);
      const model = models.get(modelId) ?? mapModel(entry, modelId);
      const tag = variant === 'standard' ? options.provider : `${options.provider}/${variant}`;
      const id = endpointId(modelId, tag);
      if (endpoints.has(id)) throw new SkipEntry(`duplicate: another entry already maps to endpoint ${id}`);
      const upstreamModelId = options.upstreamModelIdFrom === 'canonical_slug' ? (entry.canonical_slug || entry.id) : entry.id;
      const contextLength = positiveInteger(entry.top_provider?.context_length) ?? model.contextLength;
      endpoints.set(id, {
        id,
        modelId,
        providerSlug: options.provider,
        tag,
        variant,
        upstreamModelId,
        pricing,
        contextLength,
        maxCompletionTokens: positiveInteger(entry.top_provider?.max_completion_tokens) ?? null,
        supportedParameters: [...new Set(entry.supported_parameters ?? [])],
      });
      models.set(modelId, model);
    } catch (error) {
      if (error instanceof SkipEntry) skipped.push({ id: entry.id, reason: error.message });
      else throw error;
    }
  }
  return { models: [...models.values()], endpoints: [...endpoints.values()], skipped };
}

function mapModel(entry: OpenRouterModel, modelId: string): CatalogModel {
  const contextLength = positiveInteger(entry.context_length) ?? positiveInteger(entry.top_provider?.context_length);
  if (contextLength === undefined) throw new SkipEntry('no context_length');
  const architecture = entry.architecture ?? {};
  const fromModality = parseModality(architecture.modality);
  const isVariant = modelId !== entry.id;
  const name = (entry.name ?? modelId).trim();
  const candidate = {
    id: modelId,
    canonicalSlug: (isVariant ? entry.canonical_slug?.replace(VARIANT_SUFFIX, '') : entry.canonical_slug) || modelId,
    huggingFaceId: entry.hugging_face_id || null,
    name: isVariant ? name.replace(VARIANT_NAME_SUFFIX, '') : name,
    description: entry.description ?? '',
    created: Number.isFinite(entry.created) ? Math.trunc(entry.created!) : 0,
    contextLength,
    inputModalities: nonEmpty(architecture.input_modalities) ?? fromModality?.input ?? ['text'],
    outputModalities: nonEmpty(architecture.output_modalities) ?? fromModality?.output ?? ['text'],
    tokenizer: architecture.tokenizer || 'Other',
    instructType: architecture.instruct_type || null,
    reasoning: mapReasoning(entry),
    knowledgeCutoff: entry.knowledge_cutoff || null,
    expirationDate: entry.expiration_date || null,
    defaultParameters: mapDefaultParameters(entry.default_parameters),
    status: 'active',
  };
  const parsed = catalogModelSchema.safeParse(candidate);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new SkipEntry(`${issue.path.join('.')}: ${issue.message}`);
  }
  return parsed.data;
}

/** Exact decimal strings; throws SkipEntry for a missing, malformed or negative prompt/completion price. */
function mapPricing(entry: OpenRouterModel): CatalogEndpoint['pricing'] {
  const pricing = entry.pricing;
  const required = (key: 'prompt' | 'completion'): string => {
    const value = price(pricing[key], key);
    if (value === undefined) throw new SkipEntry(`pricing.${key} is missing`);
    return value;
  };
  const result: CatalogEndpoint['pricing'] = { prompt: required('prompt'), completion: required('completion') };
  for (const key of ['request', 'image', 'input_cache_read', 'input_cache_write', 'internal_reasoning'] as const) {
    const value = price(pricing[key], key);
    if (value !== undefined && value !== '0') result[key] = value;
  }
  if (pricing.discount !== undefined && pricing.discount !== null) {
    const discount = Number(pricing.discount);
    if (!Number.isFinite(discount) || discount < 0 || discount > 1) throw new SkipEntry(`pricing.discount must be between 0 and 1, got ${String(pricing.discount)}`);
    if (discount > 0) result.discount = discount;
  }
  return result;
}

function price(value: string | number | null | undefined, key: string): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  let decimal;
  try {
    decimal = toDecimal(typeof value === 'number' ? value : value.trim());
  } catch {
    throw new SkipEntry(`pricing.${key} is not a decimal number: ${JSON.stringify(value)}`);
  }
  if (decimal.isNegative()) throw new SkipEntry(`pricing.${key} is negative (${String(value)}): priced per request by a router, not importable`);
  return decimal.toString();
}

function mapReasoning(entry: OpenRouterModel): ReasoningCapabilities | null {
  const reasoning = entry.reasoning;
  if (reasoning) {
    return {
      supportedEfforts: reasoning.supported_efforts ?? null,
      defaultEffort: reasoning.default_effort ?? null,
      defaultEnabled: reasoning.default_enabled ?? false,
      supportsMaxTokens: reasoning.supports_max_tokens ?? false,
      mandatory: reasoning.mandatory ?? false,
    };
  }
  const parameters = entry.supported_parameters ?? [];
  if (parameters.includes('reasoning') || parameters.includes('include_reasoning')) {
    return { supportedEfforts: null, defaultEffort: null, defaultEnabled: false, supportsMaxTokens: false, mandatory: false };
  }
  return null;
}

function mapDefaultParameters(value: Record<string, unknown> | null | undefined): Record<string, number | null> | null {
  if (!value) return null;
  const result: Record<string, number | null> = {};
  let any = false;
  for (const [key, parameter] of Object.entries(value)) {
    if (typeof parameter === 'number' && Number.isFinite(parameter)) {
      result[key] = parameter;
      any = true;
    } else if (parameter === null) {
      result[key] = null;
    }
  }
  return any ? result : null;
}

/** "text+image->text" → { input: [text, image], output: [text] }. */
export function parseModality(modality: string | null | undefined): { input: string[]; output: string[] } | undefined {
  if (!modality) return undefined;
  const [input, output] = modality.split('->');
  if (!input || !output) return undefined;
  const split = (side: string) => side.split('+').map((part) => part.trim()).filter(Boolean);
  return { input: split(input), output: split(output) };
}

function positiveInteger(value: number | null | undefined): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : undefined;
}

function nonEmpty(values: string[] | null | undefined): string[] | undefined {
  return values && values.length > 0 ? values : undefined;
}
