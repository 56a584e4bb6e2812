import { Injectable } from '@nestjs/common';
import type { Preset } from '@switchyard/contracts';
import { type Sql, queryOne, queryRows } from '../common/sql.js';

interface PresetRow {
  slug: string;
  version: number;
  name: string;
  description: string | null;
  system_prompt: string | null;
  config: Record<string, unknown>;
  cache_enabled: boolean | null;
  cache_ttl_seconds: number | null;
  created_at: Date;
}

const COLUMNS = 'slug, version, name, description, system_prompt, config, cache_enabled, cache_ttl_seconds, created_at';

function toPreset(row: PresetRow): Preset {
  const { slug, version, name, description, system_prompt, config, cache_enabled, cache_ttl_seconds } = row;
  return { slug, version, name, description, system_prompt, config, cache_enabled, cache_ttl_seconds, created_at: row.created_at.toISOString() };
}

/** The only SQL on `presets`. */
@Injectable()
export class PresetsRepository {
  /** The latest version of each of the account's presets, by slug. */
  async latestOfAccount(db: Sql, accountId: string): Promise<Preset[]> {
    const rows = await queryRows<PresetRow>(db, `SELECT DISTINCT ON (slug) ${COLUMNS} FROM presets WHERE account_id = $1 ORDER BY slug, version DESC`, [accountId]);
    return rows.map(toPreset);
  }

  /** One version (the latest without `version`). */
  async one(db: Sql, accountId: string, slug: string, version?: number): Promise<Preset | undefined> {
    const row =
      version === undefined
        ? await queryOne<PresetRow>(db, `SELECT ${COLUMNS} FROM presets WHERE account_id = $1 AND slug = $2 ORDER BY version DESC LIMIT 1`, [accountId, slug])
        : await queryOne<PresetRow>(db, `SELECT ${COLUMNS} FROM presets WHERE account_id = $1 AND slug = $2 AND version = $3`, [accountId, slug, version]);
    return row && toPreset(row);
  }

  /** Every version, newest first. */
  async versions(db: Sql, accountId: string, slug: string): Promise<Preset[]> {
    const rows = await queryRows<PresetRow>(db, `SELECT ${COLUMNS} FROM presets WHERE account_id = $1 AND slug = $2 ORDER BY version DESC`, [accountId, slug]);
    return rows.map(toPreset);
  }

  /**
   * Adds the next version (1 for a new slug). Two concurrent creates of one slug race for the same version: the
   * primary key refuses the second, which the caller retries.
   */
  async insertNext(db: Sql, accountId: string, preset: Omit<Preset, 'version' | 'created_at'>, now: Date): Promise<Preset> {
    const row = await queryOne<PresetRow>(
      db,
      `INSERT INTO presets (account_id, slug, version, name, description, system_prompt, config, cache_enabled, cache_ttl_seconds, created_at)
       SELECT $1, $2, coalesce(max(version), 0) + 1, $3, $4, $5, $6::jsonb, $7, $8, $9 FROM presets WHERE account_id = $1 AND slug = $2
       RETURNING ${COLUMNS}`,
      [accountId, preset.slug, preset.name, preset.description, preset.system_prompt, JSON.stringify(preset.config), preset.cache_enabled, preset.cache_ttl_seconds, now],
    );
    return toPreset(row!);
  }

  /** Deletes every version; false when there was none. */
  async delete(db: Sql, accountId: string, slug: string): Promise<boolean> {
    const rows = await queryRows<{ slug: string }>(db, `DELETE FROM presets WHERE account_id = $1 AND slug = $2 RETURNING slug`, [accountId, slug]);
    return rows.length > 0;
  }
}
