import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { subjects, type RoutingTableAnnouncement } from '@switchyard/contracts';
import type { RoutingTable } from '@switchyard/llm-spec';
import { MetricsService, NatsService, snapshotPageLimit } from '@switchyard/nest-kit';
import { CatalogService } from '../catalog/catalog.service.js';
import { CLOCK, type Clock } from '../clock.js';
import { ROUTING_CONFIG, type RoutingConfig } from '../config/routing.config.js';
import { HealthMonitorService } from '../health/health-monitor.service.js';

export type PublishTrigger = 'start' | 'change' | 'catalog' | 'periodic' | 'reconnect';

/**
 * Builds and pushes the routing table (ARCHITECTURE.md "The hot path"): on every change of a published field
 * (coalesced into at most one publication per TABLE_MIN_PUBLISH_INTERVAL_MS), periodically so the figures
 * refresh, at start and after a NATS reconnect. Every table is a full view, so any replica's table can replace
 * any other's. A table larger than one message (TABLE_PAGE_BYTES, below the server's max_payload) is announced by
 * its version instead; subscribers then fetch it from the table RPC, which answers in pages.
 *
 * Versions are epoch milliseconds, strictly increasing per replica (`max(now, last + 1)`): replicas fed the same
 * events publish equivalent tables, and a subscriber that keeps the highest version never goes backwards, even
 * across replicas and restarts (given clocks synchronised to well under a second).
 */
@Injectable()
export class RoutingTableService implements OnModuleInit, OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('RoutingTable');
  private lastVersion = 0;
  private lastPublishedAt = 0;
  private latest: RoutingTable | undefined;
  private pending: NodeJS.Timeout | undefined;
  private periodic: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly unsubscribers: Array<() => void> = [];
  private readonly published: ReturnType<MetricsService['counter']>;
  private readonly versionGauge: ReturnType<MetricsService['gauge']>;
  private readonly sizeGauge: ReturnType<MetricsService['gauge']>;

  constructor(
    @Inject(ROUTING_CONFIG) private readonly config: RoutingConfig,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly nats: NatsService,
    private readonly monitor: HealthMonitorService,
    private readonly catalog: CatalogService,
    metrics: MetricsService,
  ) {
    this.published = metrics.counter({ name: 'switchyard_routing_table_versions_published_total', help: 'Routing table versions published (whole or announced), by trigger and form', labelNames: ['trigger', 'form'] });
    this.versionGauge = metrics.gauge({ name: 'switchyard_routing_table_version', help: 'Version of the last routing table built' });
    this.sizeGauge = metrics.gauge({ name: 'switchyard_routing_table_endpoints', help: 'Endpoints listed in the last routing table built' });
  }

  onModuleInit(): void {
    this.unsubscribers.push(
      this.monitor.onChange(() => this.schedule('change')),
      this.catalog.onChange(() => this.schedule('catalog')),
      this.nats.onReconnect(() => this.publishNow('reconnect')),
    );
  }

  onApplicationBootstrap(): void {
    this.publishNow('start');
    this.periodic = setInterval(() => this.publishNow('periodic'), this.config.TABLE_PUBLISH_INTERVAL_MS);
    this.periodic.unref();
  }

  onModuleDestroy(): void {
    this.stopped = true;
    if (this.pending) clearTimeout(this.pending);
    if (this.periodic) clearInterval(this.periodic);
    for (const unsubscribe of this.unsubscribers.splice(0)) unsubscribe();
  }

  /** A freshly built table (a new version): what the table RPC, explain and the admin API serve. */
  current(): RoutingTable {
    return this.build();
  }

  /** The last table built (published or served), without building a new one. */
  get last(): RoutingTable | undefined {
    return this.latest;
  }

  private nextVersion(): number {
    this.lastVersion = Math.max(Math.floor(this.clock.now()), this.lastVersion + 1);
    return this.lastVersion;
  }

  private build(): RoutingTable {
    const endpoints = this.monitor.tableEntries();
    const version = this.nextVersion();
    const table: RoutingTable = { version, generatedAt: new Date(this.clock.now()).toISOString(), endpoints };
    this.latest = table;
    this.versionGauge.set(version);
    this.sizeGauge.set(Object.keys(endpoints).length);
    return table;
  }

  /** Publishes soon: at once if the last publication is older than the minimum interval, else when it is. */
  schedule(trigger: PublishTrigger): void {
    if (this.stopped || this.pending) return;
    const wait = Math.max(0, this.lastPublishedAt + this.config.TABLE_MIN_PUBLISH_INTERVAL_MS - this.clock.now());
    this.pending = setTimeout(() => this.publishNow(trigger), wait);
  }

  /** Builds and publishes a table now. Never throws (NATS down: the next publication catches up). */
  publishNow(trigger: PublishTrigger): RoutingTable | undefined {
    if (this.stopped) return undefined;
    if (this.pending) {
      clearTimeout(this.pending);
      this.pending = undefined;
    }
    try {
      const table = this.build();
      // Encoded once: measured against the page limit, then sent as is.
      const encoded = JSON.stringify(table);
      const whole = Buffer.byteLength(encoded) <= snapshotPageLimit({ maxPayload: this.nats.maxPayload, pageBytes: this.config.TABLE_PAGE_BYTES });
      if (whole) {
        this.nats.publishEncoded(subjects.routing.tableUpdated, encoded);
      } else {
        const announcement: RoutingTableAnnouncement = { version: table.version, generatedAt: table.generatedAt, endpointCount: Object.keys(table.endpoints).length, paged: true };
        this.nats.publish(subjects.routing.tableUpdated, announcement);
      }
      this.lastPublishedAt = this.clock.now();
      this.published.inc({ trigger, form: whole ? 'whole' : 'announced' });
      return table;
    } catch (error) {
      this.logger.warn(`could not publish the routing table (${trigger}): ${(error as Error).message}`);
      return undefined;
    }
  }
}
