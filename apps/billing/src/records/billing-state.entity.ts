import { Column, Entity, PrimaryColumn } from 'typeorm';

/** One row: the version of the key snapshot (bumped, under its row lock, by every change that is announced). */
@Entity({ name: 'billing_state' })
export class BillingStateEntity {
  @PrimaryColumn('smallint')
  id!: number;

  @Column('bigint')
  version!: string;

  /** Last time the maintenance tick announced key expiries and window rollovers. */
  @Column('timestamptz', { name: 'maintenance_at', nullable: true })
  maintenanceAt!: Date | null;
}
