import { Inject, Injectable } from '@nestjs/common';
import { BadRequestError, explainRequestSchema, providersStatusSchema, ServiceUnavailableError, subjects } from '@switchyard/contracts';
import { chatRequestSchema, defaultEndpointHealth, type EndpointHealth, toCanonicalChatRequest } from '@switchyard/llm-spec';
import { NatsService } from '@switchyard/nest-kit';
import { explainPlan, type PlanError, type PlanStep, type PlanStrategy } from '@switchyard/routing-policy';
import { CatalogService } from '../catalog/catalog.service.js';
import { CLOCK, type Clock } from '../clock.js';
import { parseOrBadRequest } from '../common/parse-or-bad-request.js';
import { RoutingTableService } from '../table/routing-table.service.js';
import { AccountPolicyService, type ResolvedAccountPolicy } from './account-policy.service.js';

export interface ExplainedAttempt {
  position: number;
  endpointId: string;
  modelId: string;
  providerSlug: string;
  tag: string;
  isByok: boolean;
  sticky: boolean;
  /** Why the attempt is where it is ("load-balance (weighted by 1/price²); circuit open: last resort"). */
  reason: string;
  /** The endpoint's entry of the routing table the plan used. */
  health: EndpointHealth;
}

export interface ExplainResponse {
  ok: boolean;
  request: { model: string; models: string[] };
  catalogVersion: number;
  routingTableVersion: number;
  account: ResolvedAccountPolicy;
  /**
   * Providers without a usable platform key as providers reported them (their endpoints are planned last, as ingress
   * plans them); null when providers did not tell (not answering, or without the catalog yet).
   */
  uncredentialedProviders: string[] | null;
  sessionKey: string | null;
  strategy: PlanStrategy | null;
  /** The model of the first attempt. */
  model: string | null;
  unresolvedModels: string[];
  attempts: ExplainedAttempt[];
  /** Why nothing can serve the request (what ingress would answer with), when `ok` is false. */
  error: PlanError | null;
  /** One step per endpoint considered: dropped by which filter, or kept where and why. */
  steps: PlanStep[];
}

/**
 * Why a request would route as it does: the planner ingress runs (routing-policy `explainPlan`) over the current
 * catalog and routing table. Load balancing is made deterministic (every random draw 0.5), so within a
 * load-balanced bucket endpoints are listed from the most to the least likely first pick; live traffic draws.
 */
@Injectable()
export class ExplainService {
  constructor(
    private readonly catalog: CatalogService,
    private readonly tables: RoutingTableService,
    private readonly accounts: AccountPolicyService,
    private readonly nats: NatsService,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async explain(input: unknown): Promise<ExplainResponse> {
    const { request: rawRequest, accountId, sessionKey } = parseOrBadRequest(explainRequestSchema, input, 'explain request');
    const chatRequest = parseOrBadRequest(chatRequestSchema, rawRequest, 'chat request');
    if (!chatRequest.model) throw new BadRequestError('Invalid chat request: model: a model is required to explain a plan', { issues: [{ path: 'model', message: 'required' }] });
    const request = toCanonicalChatRequest(chatRequest);
    const catalog = this.catalog.current();
    if (!catalog) throw new ServiceUnavailableError('The catalog has not been loaded yet; retry shortly');
    const [account, uncredentialed] = await Promise.all([this.accounts.resolve(accountId), this.uncredentialedProviders()]);
    const routingTable = this.tables.current();
    const { result, steps } = explainPlan({
      request,
      catalog,
      routingTable,
      ...(uncredentialed ? { uncredentialedProviders: new Set(uncredentialed) } : {}),
      account: account.policy,
      sessionKey: sessionKey ?? null,
      now: this.clock.now(),
      random: () => 0.5,
    });
    const base = {
      request: { model: request.model, models: request.models ?? [] },
      catalogVersion: catalog.version,
      routingTableVersion: routingTable.version,
      account,
      uncredentialedProviders: uncredentialed,
      sessionKey: sessionKey ?? null,
      steps,
    };
    if (!result.ok) return { ok: false, ...base, strategy: null, model: null, unresolvedModels: [], attempts: [], error: result.error };
    return {
      ok: true,
      ...base,
      strategy: result.strategy,
      model: result.model.id,
      unresolvedModels: result.unresolvedModels ?? [],
      attempts: result.attempts.map((attempt, index) => ({
        position: index + 1,
        endpointId: attempt.endpoint.id,
        modelId: attempt.model.id,
        providerSlug: attempt.provider.slug,
        tag: attempt.endpoint.tag,
        isByok: attempt.isByok,
        sticky: attempt.sticky,
        reason: attempt.reason,
        health: routingTable.endpoints[attempt.endpoint.id] ?? { ...defaultEndpointHealth },
      })),
      error: null,
    };
  }

  /** Asks providers which providers lack a platform key (ingress keeps the same answer in memory); null when it cannot tell. */
  private async uncredentialedProviders(): Promise<string[] | null> {
    try {
      const status = providersStatusSchema.parse(await this.nats.request(subjects.providers.status, {}, { timeoutMs: 1_000 }));
      return status.uncredentialed;
    } catch {
      return null;
    }
  }
}
