import { Column, Entity, PrimaryColumn } from 'typeorm';
import { bigintToNumber } from './model.entity.js';

/** The catalog version (one row, id = 1). */
@Entity({ name: 'catalog_state' })
export class CatalogStateEntity {
  @PrimaryColumn({ type: 'smallint' })
  id!: number;

  @Column({ type: 'bigint', transformer: bigintToNumber })
  version!: number;
}

/** One row per catalog version: what changed, from where. */
@Entity({ name: 'catalog_changes' })
export class CatalogChangeEntity {
  @PrimaryColumn({ type: 'bigint', transformer: bigintToNumber })
  version!: number;

  @Column({ type: 'timestamptz' })
  at!: Date;

  @Column({ type: 'text' })
  source!: string;

  @Column({ type: 'text' })
  summary!: string;

  @Column({ type: 'jsonb' })
  changes!: unknown[];
}
