import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import pg from 'pg';
import type { DataSource } from 'typeorm';
import { ROUTING_CONFIG, type RoutingConfig } from '../config/routing.config.js';
import type { DrainInfo } from './health-monitor.js';

interface DrainRow {
  endpoint_id: string;
  reason: string | null;
  drained_at: Date;
}

/**
 * Operator drains in Postgres, the source of truth every replica follows. A change is announced with
 * `pg_notify` in the same transaction; each replica LISTENs on a dedicated connection (channel named after the
 * service's schema) and reloads, so a drain reaches every replica — and through them every ingress — at once.
 */
@Injectable()
export class DrainRepository {
  private readonly logger = new Logger('Drains');
  private readonly channel: string;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(ROUTING_CONFIG) private readonly config: RoutingConfig,
  ) {
    this.channel = `${config.DB_SCHEMA}_drains_changed`;
  }

  async list(): Promise<Map<string, DrainInfo>> {
    const rows: DrainRow[] = await this.dataSource.query(`SELECT endpoint_id, reason, drained_at FROM endpoint_drains`);
    return new Map(rows.map((row) => [row.endpoint_id, { reason: row.reason, drainedAt: new Date(row.drained_at).getTime() }]));
  }

  /** Drains an endpoint (a repeated drain keeps the first time and takes the new reason). */
  async drain(endpointId: string, reason: string | null): Promise<DrainInfo> {
    return this.dataSource.transaction(async (manager) => {
      const rows: DrainRow[] = await manager.query(
        `INSERT INTO endpoint_drains (endpoint_id, reason) VALUES ($1, $2)
         ON CONFLICT (endpoint_id) DO UPDATE SET reason = COALESCE(EXCLUDED.reason, endpoint_drains.reason)
         RETURNING endpoint_id, reason, drained_at`,
        [endpointId, reason],
      );
      await manager.query(`SELECT pg_notify($1, $2)`, [this.channel, endpointId]);
      return { reason: rows[0].reason, drainedAt: new Date(rows[0].drained_at).getTime() };
    });
  }

  /** Undrains an endpoint; false when it was not drained. */
  async undrain(endpointId: string): Promise<boolean> {
    return this.dataSource.transaction(async (manager) => {
      const rows: unknown[] = await manager.query(`DELETE FROM endpoint_drains WHERE endpoint_id = $1 RETURNING endpoint_id`, [endpointId]);
      if (rows.length > 0) await manager.query(`SELECT pg_notify($1, $2)`, [this.channel, endpointId]);
      return rows.length > 0;
    });
  }

  /**
   * Calls `onChange` on every drain notification and after every (re)connection of the listening connection
   * (notifications sent while it was down are lost, so the caller reloads). Reconnects with backoff until stopped.
   */
  listen(onChange: () => void): { stop: () => Promise<void> } {
    let client: pg.Client | undefined;
    let stopped = false;
    let retryTimer: NodeJS.Timeout | undefined;
    let delay = 250;
    const connect = async (): Promise<void> => {
      if (stopped) return;
      const candidate = new pg.Client({ connectionString: this.config.DATABASE_URL, application_name: `${this.config.DB_SCHEMA}-drains` });
      candidate.on('error', (error) => {
        this.logger.warn(`drain listener connection failed: ${error.message}`);
        scheduleReconnect(candidate);
      });
      candidate.on('end', () => scheduleReconnect(candidate));
      candidate.on('notification', (message) => {
        if (message.channel === this.channel) onChange();
      });
      try {
        await candidate.connect();
        await candidate.query(`LISTEN "${this.channel}"`);
        if (stopped) {
          await candidate.end().catch(() => undefined);
          return;
        }
        client = candidate;
        delay = 250;
        onChange();
      } catch (error) {
        this.logger.warn(`drain listener could not connect (${(error as Error).message}); retrying`);
        scheduleReconnect(candidate);
      }
    };
    const scheduleReconnect = (failed: pg.Client): void => {
      if (stopped || retryTimer || (client !== undefined && client !== failed)) return;
      client = undefined;
      failed.removeAllListeners('end');
      failed.end().catch(() => undefined);
      retryTimer = setTimeout(() => {
        retryTimer = undefined;
        void connect();
      }, delay);
      retryTimer.unref();
      delay = Math.min(delay * 2, 5_000);
    };
    void connect();
    return {
      stop: async () => {
        stopped = true;
        if (retryTimer) clearTimeout(retryTimer);
        const current = client;
        client = undefined;
        if (current) {
          current.removeAllListeners('end');
          await current.end().catch(() => undefined);
        }
      },
    };
  }
}
