import type { CatalogEndpoint, CatalogModel } from '@switchyard/llm-spec';
import { type ChangeEntry, type FieldChange, MODEL_FIELDS, canonicalPricing, diffFields } from '../store/catalog-records.js';
import { IMPORTED_ENDPOINT_FIELDS, type ImportedEndpoint, type MappedImport, type SkippedEntry } from './openrouter-import.mapper.js';

export interface ImportDiffEntry {
  kind: 'model' | 'endpoint';
  id: string;
}

export interface ImportDiff {
  created: ImportDiffEntry[];
  updated: Array<ImportDiffEntry & { fields: Record<string, FieldChange> }>;
  /** How many imported models and endpoints already match what is stored. */
  unchanged: number;
  /** Endpoints of the provider missing from the import (only with `disableMissing`). */
  disabled?: ImportDiffEntry[];
  skipped: SkippedEntry[];
}

export interface ImportPlan {
  diff: ImportDiff;
  insertModels: CatalogModel[];
  updateModels: CatalogModel[];
  insertEndpoints: CatalogEndpoint[];
  updateEndpoints: CatalogEndpoint[];
  /** The change-log entries of applying the plan. */
  changes: ChangeEntry[];
}

export interface StoredCatalog {
  models: ReadonlyMap<string, CatalogModel>;
  endpoints: ReadonlyMap<string, CatalogEndpoint>;
}

/** An import owns the descriptive fields of a model; its status is the operator's (a disabled model stays disabled). */
const IMPORTED_MODEL_FIELDS = MODEL_FIELDS.filter((field) => field !== 'status');

/**
 * What an import would change: models and endpoints to create, fields to update (with old and new values), how
 * many are unchanged, and (with `disableMissing`) the provider's active endpoints the list no longer has. Fields
 * the import does not carry (an endpoint's quantization, implicit caching, service tier, status) keep their
 * stored values. Importing the same list twice: the second diff is all unchanged.
 */
export function planImport(stored: StoredCatalog, mapped: MappedImport, options: { provider: string; disableMissing?: boolean }): ImportPlan {
  const plan: ImportPlan = {
    diff: { created: [], updated: [], unchanged: 0, skipped: mapped.skipped },
    insertModels: [],
    updateModels: [],
    insertEndpoints: [],
    updateEndpoints: [],
    changes: [],
  };

  for (const model of mapped.models) {
    const existing = stored.models.get(model.id);
    if (!existing) {
      plan.insertModels.push(model);
      plan.diff.created.push({ kind: 'model', id: model.id });
      plan.changes.push({ kind: 'model', id: model.id, action: 'created' });
      continue;
    }
    const merged: CatalogModel = { ...existing };
    for (const field of IMPORTED_MODEL_FIELDS) (merged as Record<string, unknown>)[field] = model[field];
    const fields = diffFields(existing, merged, IMPORTED_MODEL_FIELDS);
    if (Object.keys(fields).length === 0) {
      plan.diff.unchanged++;
      continue;
    }
    plan.updateModels.push(merged);
    plan.diff.updated.push({ kind: 'model', id: model.id, fields });
    plan.changes.push({ kind: 'model', id: model.id, action: 'updated', fields });
  }

  const imported = new Set<string>();
  for (const endpoint of mapped.endpoints) {
    imported.add(endpoint.id);
    const existing = stored.endpoints.get(endpoint.id);
    if (!existing) {
      const created = newEndpoint(endpoint);
      plan.insertEndpoints.push(created);
      plan.diff.created.push({ kind: 'endpoint', id: endpoint.id });
      plan.changes.push({ kind: 'endpoint', id: endpoint.id, action: 'created' });
      continue;
    }
    const merged: CatalogEndpoint = { ...existing, ...pickImported(endpoint) };
    const fields = diffFields({ ...existing, pricing: canonicalPricing(existing.pricing) }, merged, IMPORTED_ENDPOINT_FIELDS);
    if (Object.keys(fields).length === 0) {
      plan.diff.unchanged++;
      continue;
    }
    plan.updateEndpoints.push(merged);
    plan.diff.updated.push({ kind: 'endpoint', id: endpoint.id, fields });
    plan.changes.push({ kind: 'endpoint', id: endpoint.id, action: 'updated', fields });
  }

  if (options.disableMissing) {
    plan.diff.disabled = [];
    for (const endpoint of stored.endpoints.values()) {
      if (endpoint.providerSlug !== options.provider || endpoint.status !== 'active' || imported.has(endpoint.id)) continue;
      plan.updateEndpoints.push({ ...endpoint, status: 'disabled' });
      plan.diff.disabled.push({ kind: 'endpoint', id: endpoint.id });
      plan.changes.push({ kind: 'endpoint', id: endpoint.id, action: 'disabled', fields: { status: { from: 'active', to: 'disabled' } } });
    }
  }
  return plan;
}

function pickImported(endpoint: ImportedEndpoint): Partial<CatalogEndpoint> {
  return {
    variant: endpoint.variant,
    upstreamModelId: endpoint.upstreamModelId,
    pricing: canonicalPricing(endpoint.pricing),
    contextLength: endpoint.contextLength,
    maxCompletionTokens: endpoint.maxCompletionTokens,
    supportedParameters: endpoint.supportedParameters,
  };
}

function newEndpoint(endpoint: ImportedEndpoint): CatalogEndpoint {
  return {
    ...endpoint,
    pricing: canonicalPricing(endpoint.pricing),
    maxPromptTokens: null,
    quantization: null,
    supportsImplicitCaching: false,
    serviceTier: 'default',
    status: 'active',
  };
}
