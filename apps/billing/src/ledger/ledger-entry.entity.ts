import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

export type LedgerKind = 'purchase' | 'grant' | 'fee' | 'usage' | 'byok_fee' | 'refund' | 'expiry' | 'adjustment';

/**
 * One append-only ledger line. `amount` is the signed effect on the credit balance, except for `fee` lines, which
 * record what the customer paid on top of a purchase and never change the balance:
 * balance = Σ amount over every kind but `fee`.
 */
@Entity({ name: 'ledger_entries' })
export class LedgerEntryEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id!: string;

  @Column('text', { name: 'account_id' })
  accountId!: string;

  @Column('text')
  kind!: LedgerKind;

  @Column('numeric')
  amount!: string;

  /** Unique: the generation id for usage, `purchase:<lot>` for purchases, and so on. */
  @Column('text', { name: 'idempotency_key', unique: true })
  idempotencyKey!: string;

  @Column('text', { name: 'lot_id', nullable: true })
  lotId!: string | null;

  @Column('text', { name: 'key_id', nullable: true })
  keyId!: string | null;

  @Column('text', { name: 'lease_id', nullable: true })
  leaseId!: string | null;

  @Column('text', { name: 'generation_id', nullable: true })
  generationId!: string | null;

  /** BYOK list-price usage of the generation (BYOK fee lines only). */
  @Column('numeric', { name: 'byok_usage', nullable: true })
  byokUsage!: string | null;

  @Column('text', { nullable: true })
  reason!: string | null;

  @Column('timestamptz', { name: 'occurred_at' })
  occurredAt!: Date;

  @Column('timestamptz', { name: 'created_at' })
  createdAt!: Date;
}
