import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query } from '@nestjs/common';
import { circuitStateSchema } from '@switchyard/llm-spec';
import { AdminOnly } from '@switchyard/nest-kit';
import { z } from 'zod';
import { CatalogService } from '../catalog/catalog.service.js';
import { CLOCK, type Clock } from '../clock.js';
import { parseOrBadRequest } from '../common/parse-or-bad-request.js';
import { type EndpointDescription, HealthMonitorService } from './health-monitor.service.js';

const endpointIdSchema = z.string().trim().min(1, 'the endpoint id is empty').max(512);
const drainBodySchema = z
  .object({ reason: z.string().trim().min(1).max(500).optional() })
  .nullish()
  .transform((body) => body ?? {});
const healthTableQuerySchema = z.object({ state: circuitStateSchema.optional() });

function iso(epochMs: number | null): string | null {
  return epochMs === null ? null : new Date(epochMs).toISOString();
}

/** The admin view of one endpoint: the published figures plus the breaker's and the windows' details. */
export function endpointView(details: EndpointDescription) {
  const { health, stats, breaker, drain } = details;
  return {
    id: details.endpointId,
    modelId: details.modelId,
    providerSlug: details.providerSlug,
    tag: details.tag,
    inCatalog: details.inCatalog,
    state: health.state,
    weight: health.weight,
    uptime: { '5m': health.uptime5m, '30m': health.uptime30m, '1d': health.uptime1d },
    outcomes: stats
      ? {
          '5m': { successes: stats.windows['5m'].successes, failures: stats.windows['5m'].failures },
          '30m': { successes: stats.windows['30m'].successes, failures: stats.windows['30m'].failures },
          '1d': { successes: stats.windows['1d'].successes, failures: stats.windows['1d'].failures },
        }
      : null,
    latencyMs: { '5m': stats?.latency5m ?? null, '30m': health.latency30m },
    throughputTokensPerSecond: { '5m': stats?.throughput5m ?? null, '30m': health.throughput30m },
    toolCallSuccessRate: health.toolCallSuccessRate,
    toolCallAttempts: stats?.toolCallAttempts ?? 0,
    lastFailureAt: iso(details.lastFailureAt),
    publishedLastFailureAt: iso(health.lastFailureAt),
    retryAfterUntil: iso(health.retryAfterUntil),
    lastAttemptAt: iso(details.lastAttemptAt),
    lastProbeAt: iso(details.lastProbeAt),
    breaker: {
      state: breaker.state,
      openings: breaker.openings,
      consecutiveFailures: breaker.consecutiveFailures,
      windowFailures: breaker.windowFailures,
      windowAttempts: breaker.windowAttempts,
      openedAt: iso(breaker.openedAt),
      openUntil: iso(breaker.openUntil),
      halfOpenSince: iso(breaker.halfOpenSince),
      halfOpenSuccesses: breaker.halfOpenSuccesses,
      nextCoolDownMs: breaker.nextCoolDownMs,
      lastTransitionAt: iso(breaker.lastTransitionAt),
    },
    drain: drain ? { reason: drain.reason, drainedAt: iso(drain.drainedAt) } : null,
  };
}

@Controller('admin')
@AdminOnly()
export class HealthAdminController {
  constructor(
    private readonly monitor: HealthMonitorService,
    private readonly catalog: CatalogService,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** Every endpoint (catalog and any seen in events): state, uptime, latency, throughput, breaker, drain. */
  @Get('health-table')
  healthTable(@Query() query: unknown) {
    const { state } = parseOrBadRequest(healthTableQuerySchema, query, 'query');
    const endpoints = this.monitor.allDetails().map(endpointView);
    return {
      generatedAt: new Date(this.clock.now()).toISOString(),
      catalogVersion: this.catalog.current()?.version ?? null,
      endpoints: state ? endpoints.filter((endpoint) => endpoint.state === state) : endpoints,
    };
  }

  /** Takes an endpoint out of rotation (state `drained`, persisted) until undrained. Id URL-encoded. */
  @Post('endpoints/:id/drain')
  @HttpCode(200)
  async drain(@Param('id') id: string, @Body() body: unknown) {
    const endpointId = parseOrBadRequest(endpointIdSchema, id, 'endpoint id');
    const { reason } = parseOrBadRequest(drainBodySchema, body, 'body');
    return endpointView(await this.monitor.drain(endpointId, reason ?? null));
  }

  @Post('endpoints/:id/undrain')
  @HttpCode(200)
  async undrain(@Param('id') id: string) {
    const endpointId = parseOrBadRequest(endpointIdSchema, id, 'endpoint id');
    return endpointView(await this.monitor.undrain(endpointId));
  }
}
