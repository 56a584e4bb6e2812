import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { providersStatusSchema, subjects } from '@switchyard/contracts';
import { MetricsService, NatsService } from '@switchyard/nest-kit';
import { INGRESS_CONFIG, type IngressConfig } from '../config/ingress.config.js';

/**
 * Which providers have no usable platform key, as the providers service reports them (`sy.providers.status.v1`,
 * asked every `PROVIDER_STATUS_REFRESH_MS`, every second until the first answer from a replica that has the catalog):
 * the planner tries their endpoints last (unless the account brings its own key), so a deployment with keys for a
 * few providers of a large catalog does not spend attempts on the others. Off the request path; an unanswered refresh
 * keeps the last answer.
 */
@Injectable()
export class ProviderCredentialsService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('ProviderCredentials');
  private current: ReadonlySet<string> = new Set();
  private known = false;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly gauge;

  constructor(
    private readonly nats: NatsService,
    @Inject(INGRESS_CONFIG) private readonly config: IngressConfig,
    metrics: MetricsService,
  ) {
    this.gauge = metrics.gauge({ name: 'switchyard_ingress_uncredentialed_providers', help: 'Providers without a usable platform key, as providers last reported them (their endpoints are planned last); -1 until it answered' });
    this.gauge.set(-1);
  }

  /** Provider slugs without a usable platform key (empty until providers first answered). */
  get uncredentialed(): ReadonlySet<string> {
    return this.current;
  }

  onApplicationBootstrap(): void {
    void this.refresh();
  }

  onModuleDestroy(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  async refresh(): Promise<void> {
    try {
      const status = providersStatusSchema.parse(await this.nats.request(subjects.providers.status, {}, { timeoutMs: 2_000 }));
      // The answering replica has no catalog yet: no answer, ask again in a second (not at the long interval).
      if (status.uncredentialed === null) throw new Error('the answering providers replica has no catalog yet');
      const next = new Set(status.uncredentialed);
      if (!this.known || next.size !== this.current.size || [...next].some((slug) => !this.current.has(slug))) this.logger.log(`providers without a platform key (planned last): ${[...next].join(', ') || 'none'}`);
      this.current = next;
      this.known = true;
      this.gauge.set(next.size);
    } catch (error) {
      this.logger.debug(`providers' credential status unavailable: ${(error as Error).message}`);
    }
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.refresh(), this.known ? this.config.PROVIDER_STATUS_REFRESH_MS : 1_000);
    this.timer.unref();
  }
}
