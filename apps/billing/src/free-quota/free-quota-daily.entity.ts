import { Column, Entity, PrimaryColumn } from 'typeorm';

/** `:free` requests an account made on one UTC day (persisted in batches from the in-memory counters). */
@Entity({ name: 'free_quota_daily' })
export class FreeQuotaDailyEntity {
  @PrimaryColumn('text', { name: 'account_id' })
  accountId!: string;

  @PrimaryColumn('date')
  day!: string;

  @Column('integer', { default: 0 })
  count!: number;
}
