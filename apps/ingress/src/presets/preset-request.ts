import { BadRequestError, type Preset, presetSlugSchema } from '@switchyard/contracts';
import { type CanonicalChatRequest, chatRequestSchema, type Message, toCanonicalChatRequest } from '@switchyard/llm-spec';
import { invalidRequest } from '../chat/generation-pipeline.service.js';
import { messagesToCanonical } from '../skins/messages/messages-request.mapper.js';
import { countTokensRequestSchema } from '../skins/messages/messages-request.schema.js';
import { responsesToCanonical } from '../skins/responses/responses-request.mapper.js';
import { responsesRequestSchema } from '../skins/responses/responses-request.schema.js';
import { invalidSkinRequest } from '../skins/shared/invalid-request.js';

/** What a request names of a preset: its slug, and the model it asks for itself (`openai/gpt-4o@preset/x`), if any. */
export interface PresetReference {
  slug: string;
  model: string | undefined;
}

const PRESET_MARK = '@preset/';

/**
 * The preset a request names (reference §3.9): `model: "@preset/<slug>"` (the preset's model), `model:
 * "<model>@preset/<slug>"` (that model with the preset's other fields), or `preset: "<slug>"` beside its model.
 * Undefined when it names none; a 400 for a malformed slug.
 */
export function presetReference(request: Pick<CanonicalChatRequest, 'model' | 'preset'>): PresetReference | undefined {
  const mark = request.model.lastIndexOf(PRESET_MARK);
  if (mark >= 0) {
    const slug = request.model.slice(mark + PRESET_MARK.length);
    return { slug: validSlug(slug), model: mark === 0 ? undefined : request.model.slice(0, mark) };
  }
  if (request.preset) return { slug: validSlug(request.preset), model: request.model };
  return undefined;
}

function validSlug(slug: string): string {
  const parsed = presetSlugSchema.safeParse(slug);
  if (!parsed.success) throw new BadRequestError(`Invalid preset "${slug}": ${parsed.error.issues[0]?.message ?? 'malformed'}`);
  return parsed.data;
}

/**
 * The request with the preset's fields under it (OpenRouter's rules): each field the request sets wins, the
 * preset's fill the rest; tools are the union (the request's win on a name both define); the preset's system prompt
 * goes first. The model is the one the request named beside the preset, else the preset's (a 400 without either).
 */
export function withPreset(request: CanonicalChatRequest, reference: PresetReference, preset: Preset): CanonicalChatRequest {
  const config = preset.config as Partial<CanonicalChatRequest>;
  const merged: Record<string, unknown> = { ...config };
  for (const [field, value] of Object.entries(request)) if (value !== undefined && value !== null) merged[field] = value;
  const model = reference.model ?? config.model;
  if (!model) throw new BadRequestError(`Preset '${preset.slug}' names no model: send one with it, e.g. "openai/gpt-4o-mini@preset/${preset.slug}"`);
  merged.model = model;
  delete merged.preset;
  if (config.tools?.length && request.tools?.length) {
    const own = new Set(request.tools.map((tool) => tool.function.name));
    merged.tools = [...config.tools.filter((tool) => !own.has(tool.function.name)), ...request.tools];
  }
  if (preset.system_prompt) merged.messages = [{ role: 'system', content: preset.system_prompt } satisfies Message, ...request.messages];
  return merged as CanonicalChatRequest;
}

/** Fields a preset never holds: the conversation, the streaming mode and preset references. */
const NOT_PRESET_FIELDS = ['messages', 'stream', 'preset'] as const;
const PLACEHOLDER_MODEL = '\u0000';
const PLACEHOLDER_TURN = '.';

/** A preset version: request fields in canonical form, and the system prompt. */
export interface PresetBody {
  config: Record<string, unknown>;
  systemPrompt: string | null;
}

/**
 * A preset version from a chat request body (`POST /presets/<slug>/chat/completions`): its fields, checked as a
 * chat request would be and in canonical form (aliases folded as for a request, so they merge field by field), and
 * its system messages as the system prompt. Messages are optional here; user and assistant turns are not kept.
 */
export function presetFromChatBody(body: unknown): PresetBody {
  return presetFrom(body, { messages: [{ role: 'user', content: PLACEHOLDER_TURN }] }, (object) => {
    const parsed = chatRequestSchema.safeParse(object);
    if (!parsed.success) throw invalidRequest(parsed.error);
    return toCanonicalChatRequest(parsed.data, PLACEHOLDER_MODEL);
  });
}

/** The same from an Anthropic Messages body (`POST /presets/<slug>/messages`): `system` is the system prompt. */
export function presetFromMessagesBody(body: unknown): PresetBody {
  return presetFrom(body, { model: PLACEHOLDER_MODEL, messages: [{ role: 'user', content: PLACEHOLDER_TURN }] }, (object) => {
    const parsed = countTokensRequestSchema.safeParse(object);
    if (!parsed.success) throw invalidSkinRequest(parsed.error);
    return messagesToCanonical(parsed.data);
  });
}

/** The same from a Responses body (`POST /presets/<slug>/responses`): `instructions` is the system prompt. */
export function presetFromResponsesBody(body: unknown): PresetBody {
  return presetFrom(body, { model: PLACEHOLDER_MODEL, input: PLACEHOLDER_TURN }, (object) => {
    const parsed = responsesRequestSchema.safeParse(object);
    if (!parsed.success) throw invalidSkinRequest(parsed.error);
    return responsesToCanonical(parsed.data);
  });
}

/**
 * Parses the body as its API would (what it lacks of what the API requires filled with placeholders, which are not
 * kept), then keeps the canonical request's fields and its system messages.
 */
function presetFrom(body: unknown, required: Record<string, unknown>, toCanonical: (object: Record<string, unknown>) => CanonicalChatRequest): PresetBody {
  const object = body !== null && typeof body === 'object' && !Array.isArray(body) ? { ...(body as Record<string, unknown>) } : {};
  for (const [field, placeholder] of Object.entries(required)) {
    const value = object[field];
    if (value === undefined || value === null || (Array.isArray(value) && value.length === 0)) object[field] = placeholder;
  }
  const canonical = toCanonical(object);
  const system = canonical.messages.filter((message) => message.role === 'system' || message.role === 'developer').map((message) => textOf(message.content));
  const config: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(canonical)) {
    if (value === undefined || value === null || (NOT_PRESET_FIELDS as readonly string[]).includes(field)) continue;
    if (field === 'model' && value === PLACEHOLDER_MODEL) continue;
    config[field] = value;
  }
  return { config, systemPrompt: system.length > 0 ? system.join('\n\n') : null };
}

function textOf(content: Message['content']): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.map((part) => (part.type === 'text' ? part.text : '')).join('');
}
