import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';

/**
 * Compact snapshots of each endpoint's rolling stats and breaker (JSON, a few KB at most per endpoint), saved
 * periodically and on shutdown by every replica (last writer wins: replicas hold the same view) and restored at
 * start, so uptime figures and open breakers survive a restart.
 */
@Injectable()
export class StatsSnapshotRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async loadAll(): Promise<Array<{ endpointId: string; snapshot: unknown }>> {
    const rows: Array<{ endpoint_id: string; snapshot: unknown }> = await this.dataSource.query(`SELECT endpoint_id, snapshot FROM endpoint_stats_snapshots`);
    return rows.map((row) => ({ endpointId: row.endpoint_id, snapshot: row.snapshot }));
  }

  /**
   * Replaces the stored snapshot with `rows` (one upsert statement): endpoints missing from it had nothing left
   * worth keeping (a closed breaker, empty windows) and their rows go, so a restart never revives an old state.
   */
  async replaceAll(rows: ReadonlyArray<{ endpointId: string; snapshot: unknown }>): Promise<void> {
    const ids = rows.map((row) => row.endpointId);
    await this.dataSource.transaction(async (manager) => {
      await manager.query(`DELETE FROM endpoint_stats_snapshots WHERE NOT (endpoint_id = ANY($1::text[]))`, [ids]);
      if (rows.length > 0) {
        await manager.query(
          `INSERT INTO endpoint_stats_snapshots (endpoint_id, snapshot, saved_at)
           SELECT id, snapshot, now() FROM unnest($1::text[], $2::jsonb[]) AS input(id, snapshot)
           ON CONFLICT (endpoint_id) DO UPDATE SET snapshot = EXCLUDED.snapshot, saved_at = EXCLUDED.saved_at`,
          [ids, rows.map((row) => JSON.stringify(row.snapshot))],
        );
      }
    });
  }
}
