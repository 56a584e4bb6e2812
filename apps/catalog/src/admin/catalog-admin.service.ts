import { Injectable } from '@nestjs/common';
import { BadRequestError, GatewayError, NotFoundError } from '@switchyard/contracts';
import { type CatalogEndpoint, type CatalogModel, type CatalogProvider, catalogEndpointSchema, catalogModelSchema, catalogProviderSchema } from '@switchyard/llm-spec';
import {
  type CatalogAlias,
  type ChangeEntry,
  ENDPOINT_FIELDS,
  MODEL_FIELDS,
  PROVIDER_FIELDS,
  canonicalPricing,
  diffFields,
  endpointId,
  impliedByTag,
} from '../store/catalog-records.js';
import { type CatalogWriter, CatalogRepository, type ChangeLogRecord } from '../store/catalog.repository.js';
import { CatalogSnapshotService } from '../store/catalog-snapshot.service.js';
import { type EndpointCreate, type EndpointPatch, type ModelCreate, type ModelPatch, type PricingPatch, type ProviderCreate, type ProviderPatch, parseInput } from './admin.schema.js';

export interface Mutation<T> {
  data: T;
  /** The catalog version after the call (unchanged when nothing changed). */
  version: number;
  changed: boolean;
}

export class ConflictError extends GatewayError {
  constructor(message: string, metadata?: Record<string, unknown>) {
    super(409, message, { errorType: 'invalid_request', metadata });
  }
}

type Status = 'active' | 'disabled';

/**
 * The rules of catalog administration. Every write runs under the catalog's write lock, compares old and new
 * values field by field, and only a real change bumps the version (recorded in the change log with the changed
 * fields), rebuilds the snapshot and announces `catalog.changed`.
 */
@Injectable()
export class CatalogAdminService {
  constructor(
    private readonly repository: CatalogRepository,
    private readonly snapshots: CatalogSnapshotService,
  ) {}

  // ---------------------------------------------------------------- reads (Postgres: admin views include disabled records)

  async listProviders(): Promise<CatalogProvider[]> {
    return (await this.repository.load()).providers;
  }

  async getProvider(slug: string): Promise<CatalogProvider> {
    const provider = (await this.repository.load()).providers.find((entry) => entry.slug === slug);
    if (!provider) throw new NotFoundError(`No provider "${slug}"`, { provider: slug });
    return provider;
  }

  async listModels(): Promise<CatalogModel[]> {
    return (await this.repository.load()).models;
  }

  async getModel(id: string): Promise<CatalogModel & { endpoints: CatalogEndpoint[] }> {
    const contents = await this.repository.load();
    const model = contents.models.find((entry) => entry.id === id);
    if (!model) throw new NotFoundError(`No model "${id}"`, { model: id });
    return { ...model, endpoints: contents.endpoints.filter((endpoint) => endpoint.modelId === id) };
  }

  async listEndpoints(filter: { model?: string; provider?: string; status?: Status }): Promise<CatalogEndpoint[]> {
    return (await this.repository.load()).endpoints.filter(
      (endpoint) =>
        (filter.model === undefined || endpoint.modelId === filter.model) &&
        (filter.provider === undefined || endpoint.providerSlug === filter.provider) &&
        (filter.status === undefined || endpoint.status === filter.status),
    );
  }

  async getEndpoint(id: string): Promise<CatalogEndpoint> {
    const endpoint = (await this.repository.load()).endpoints.find((entry) => entry.id === id);
    if (!endpoint) throw new NotFoundError(`No endpoint "${id}"`, { endpoint: id });
    return endpoint;
  }

  async listAliases(): Promise<CatalogAlias[]> {
    return (await this.repository.load()).aliases;
  }

  async version(): Promise<{ version: number; snapshotVersion: number }> {
    return { version: await this.repository.version(), snapshotVersion: this.snapshots.version };
  }

  changesSince(since: number, limit: number): Promise<ChangeLogRecord[]> {
    return this.repository.changesSince(since, limit);
  }

  // ---------------------------------------------------------------- providers

  createProvider(input: ProviderCreate): Promise<Mutation<CatalogProvider>> {
    return this.mutate(`provider ${input.slug} created`, async (writer) => {
      if (await writer.provider(input.slug)) throw new ConflictError(`Provider "${input.slug}" already exists; change it with PATCH`, { provider: input.slug });
      const provider = parseInput(catalogProviderSchema, input);
      await writer.insertProviders([provider]);
      return { data: provider, changes: [{ kind: 'provider', id: provider.slug, action: 'created' }] };
    });
  }

  updateProvider(slug: string, patch: ProviderPatch): Promise<Mutation<CatalogProvider>> {
    return this.mutate(`provider ${slug} updated`, async (writer) => {
      const before = await this.requireProvider(writer, slug);
      const { dataPolicy, adapter, apiVersion, ...rest } = patch;
      const after: CatalogProvider = { ...before, ...rest, dataPolicy: { ...before.dataPolicy, ...dataPolicy } };
      if (adapter === null) delete after.adapter;
      else if (adapter !== undefined) after.adapter = adapter;
      if (apiVersion === null) delete after.apiVersion;
      else if (apiVersion !== undefined) after.apiVersion = apiVersion;
      return this.saveProvider(writer, before, parseInput(catalogProviderSchema, after));
    });
  }

  setProviderStatus(slug: string, status: Status): Promise<Mutation<CatalogProvider>> {
    return this.mutate(`provider ${slug} ${status === 'active' ? 'enabled' : 'disabled'}`, async (writer) => {
      const before = await this.requireProvider(writer, slug);
      return this.saveProvider(writer, before, { ...before, status });
    });
  }

  private async saveProvider(writer: CatalogWriter, before: CatalogProvider, after: CatalogProvider): Promise<Change<CatalogProvider>> {
    const fields = diffFields(before, after, PROVIDER_FIELDS);
    if (Object.keys(fields).length === 0) return { data: after, changes: [] };
    await writer.updateProvider(after);
    return { data: after, changes: [{ kind: 'provider', id: after.slug, action: statusAction(before.status, after.status), fields }] };
  }

  // ---------------------------------------------------------------- models

  createModel(input: ModelCreate): Promise<Mutation<CatalogModel>> {
    return this.mutate(`model ${input.id} created`, async (writer) => {
      if (await writer.model(input.id)) throw new ConflictError(`Model "${input.id}" already exists; change it with PATCH`, { model: input.id });
      const model = parseInput(catalogModelSchema, input);
      await writer.insertModels([model]);
      return { data: model, changes: [{ kind: 'model', id: model.id, action: 'created' }] };
    });
  }

  updateModel(id: string, patch: ModelPatch): Promise<Mutation<CatalogModel>> {
    return this.mutate(`model ${id} updated`, async (writer) => {
      const before = await this.requireModel(writer, id);
      return this.saveModel(writer, before, parseInput(catalogModelSchema, { ...before, ...patch }));
    });
  }

  setModelStatus(id: string, status: Status): Promise<Mutation<CatalogModel>> {
    return this.mutate(`model ${id} ${status === 'active' ? 'enabled' : 'disabled'}`, async (writer) => {
      const before = await this.requireModel(writer, id);
      return this.saveModel(writer, before, { ...before, status });
    });
  }

  private async saveModel(writer: CatalogWriter, before: CatalogModel, after: CatalogModel): Promise<Change<CatalogModel>> {
    const fields = diffFields(before, after, MODEL_FIELDS);
    if (Object.keys(fields).length === 0) return { data: after, changes: [] };
    await writer.updateModel(after);
    return { data: after, changes: [{ kind: 'model', id: after.id, action: statusAction(before.status, after.status), fields }] };
  }

  // ---------------------------------------------------------------- endpoints

  createEndpoint(input: EndpointCreate): Promise<Mutation<CatalogEndpoint>> {
    const tag = input.tag ?? input.providerSlug;
    const id = endpointId(input.modelId, tag);
    return this.mutate(`endpoint ${id} created`, async (writer) => {
      if (input.id !== undefined && input.id !== id) throw new BadRequestError(`id must be "<modelId>@<tag>" = "${id}", got "${input.id}"`, { field: 'id' });
      if (tag !== input.providerSlug && !tag.startsWith(`${input.providerSlug}/`)) {
        throw new BadRequestError(`tag "${tag}" must be the provider slug "${input.providerSlug}" or start with "${input.providerSlug}/"`, { field: 'tag' });
      }
      const model = await writer.model(input.modelId);
      if (!model) throw new BadRequestError(`modelId: no model "${input.modelId}"; create it first`, { field: 'modelId' });
      if (!(await writer.provider(input.providerSlug))) throw new BadRequestError(`providerSlug: no provider "${input.providerSlug}"; create it first`, { field: 'providerSlug' });
      if (await writer.endpoint(id)) throw new ConflictError(`Endpoint "${id}" already exists; change it with PATCH`, { endpoint: id });
      const implied = impliedByTag(tag);
      const endpoint = parseInput(catalogEndpointSchema, {
        ...input,
        id,
        tag,
        variant: input.variant ?? implied.variant,
        serviceTier: input.serviceTier ?? implied.serviceTier,
        contextLength: input.contextLength ?? model.contextLength,
        pricing: canonicalPricing(input.pricing),
      });
      await writer.insertEndpoints([endpoint]);
      return { data: endpoint, changes: [{ kind: 'endpoint', id, action: 'created' }] };
    });
  }

  updateEndpoint(id: string, patch: EndpointPatch): Promise<Mutation<CatalogEndpoint>> {
    return this.mutate(`endpoint ${id} updated`, async (writer) => {
      const before = await this.requireEndpoint(writer, id);
      const { pricing, ...rest } = patch;
      const after = parseInput(catalogEndpointSchema, { ...before, ...rest, pricing: pricing ? mergePricing(before.pricing, pricing) : before.pricing });
      return this.saveEndpoint(writer, before, after);
    });
  }

  setEndpointStatus(id: string, status: Status): Promise<Mutation<CatalogEndpoint>> {
    return this.mutate(`endpoint ${id} ${status === 'active' ? 'enabled' : 'disabled'}`, async (writer) => {
      const before = await this.requireEndpoint(writer, id);
      return this.saveEndpoint(writer, before, { ...before, status });
    });
  }

  private async saveEndpoint(writer: CatalogWriter, before: CatalogEndpoint, after: CatalogEndpoint): Promise<Change<CatalogEndpoint>> {
    const normalised = { ...after, pricing: canonicalPricing(after.pricing) };
    const fields = diffFields(before, normalised, ENDPOINT_FIELDS);
    if (Object.keys(fields).length === 0) return { data: normalised, changes: [] };
    await writer.updateEndpoint(normalised);
    return { data: normalised, changes: [{ kind: 'endpoint', id: normalised.id, action: statusAction(before.status, normalised.status), fields }] };
  }

  // ---------------------------------------------------------------- aliases

  putAlias(alias: string, target: string): Promise<Mutation<CatalogAlias>> {
    return this.mutate(`alias ${alias} → ${target}`, async (writer) => {
      if (!(await writer.model(target))) throw new BadRequestError(`target: no model "${target}"`, { field: 'target' });
      const before = await writer.alias(alias);
      const data = { alias, target };
      if (before?.target === target) return { data, changes: [] };
      await writer.putAlias(alias, target);
      const change: ChangeEntry = before
        ? { kind: 'alias', id: alias, action: 'updated', fields: { target: { from: before.target, to: target } } }
        : { kind: 'alias', id: alias, action: 'created' };
      return { data, changes: [change] };
    });
  }

  deleteAlias(alias: string): Promise<Mutation<CatalogAlias>> {
    return this.mutate(`alias ${alias} deleted`, async (writer) => {
      const before = await writer.alias(alias);
      if (!before) throw new NotFoundError(`No alias "${alias}"`, { alias });
      await writer.deleteAlias(alias);
      return { data: before, changes: [{ kind: 'alias', id: alias, action: 'deleted' }] };
    });
  }

  // ---------------------------------------------------------------- plumbing

  /** Runs one locked write; a real change gets the next version, a log entry, a new snapshot and an event. */
  private async mutate<T>(summary: string, work: (writer: CatalogWriter) => Promise<Change<T>>): Promise<Mutation<T>> {
    const outcome = await this.repository.write(async (writer) => {
      const change = await work(writer);
      if (change.changes.length === 0) return { data: change.data, version: writer.baseVersion, changes: change.changes };
      const version = await writer.recordChange('admin', summary, change.changes);
      return { data: change.data, version, changes: change.changes };
    });
    if (outcome.changes.length > 0) await this.snapshots.changed(outcome.version, 'admin', outcome.changes);
    return { data: outcome.data, version: outcome.version, changed: outcome.changes.length > 0 };
  }

  private async requireProvider(writer: CatalogWriter, slug: string): Promise<CatalogProvider> {
    const provider = await writer.provider(slug);
    if (!provider) throw new NotFoundError(`No provider "${slug}"`, { provider: slug });
    return provider;
  }

  private async requireModel(writer: CatalogWriter, id: string): Promise<CatalogModel> {
    const model = await writer.model(id);
    if (!model) throw new NotFoundError(`No model "${id}"`, { model: id });
    return model;
  }

  private async requireEndpoint(writer: CatalogWriter, id: string): Promise<CatalogEndpoint> {
    const endpoint = await writer.endpoint(id);
    if (!endpoint) throw new NotFoundError(`No endpoint "${id}"`, { endpoint: id });
    return endpoint;
  }
}

interface Change<T> {
  data: T;
  changes: ChangeEntry[];
}

function statusAction(before: Status, after: Status): ChangeEntry['action'] {
  return before === 'active' && after === 'disabled' ? 'disabled' : 'updated';
}

/** Applies a pricing patch: given keys replace, `null` removes an optional price. */
export function mergePricing(current: CatalogEndpoint['pricing'], patch: PricingPatch): CatalogEndpoint['pricing'] {
  const merged: Record<string, unknown> = { ...current };
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) continue;
    if (value === null) delete merged[key];
    else merged[key] = value;
  }
  return canonicalPricing(merged as CatalogEndpoint['pricing']);
}
