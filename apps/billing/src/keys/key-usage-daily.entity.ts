import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Usage of a key per UTC day, maintained as debits land: `/key` windows sum at most 31 of these rows. */
@Entity({ name: 'key_usage_daily' })
export class KeyUsageDailyEntity {
  @PrimaryColumn('text', { name: 'key_id' })
  keyId!: string;

  @PrimaryColumn('date')
  day!: string;

  /** Credits used (what the account was charged), USD. */
  @Column('numeric', { default: 0 })
  usage!: string;

  /** BYOK usage at list price (paid to the provider with the account's own key), USD. */
  @Column('numeric', { name: 'byok_usage', default: 0 })
  byokUsage!: string;

  @Column('integer', { default: 0 })
  requests!: number;
}
