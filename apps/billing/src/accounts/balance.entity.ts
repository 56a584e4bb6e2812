import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * The cached balance of an account, updated in the same transaction as every ledger entry that changes it (and the
 * row every money operation of the account locks first). balance = total_credits − total_usage
 * = Σ remaining of the credit lots − debt.
 */
@Entity({ name: 'balances' })
export class BalanceEntity {
  @PrimaryColumn('text', { name: 'account_id' })
  accountId!: string;

  @Column('numeric', { default: 0 })
  balance!: string;

  /** Usage not covered by any credit lot (a negative balance); paid first from the next credits. */
  @Column('numeric', { default: 0 })
  debt!: string;

  /** Credits granted, bought or adjusted, less refunds and expiries, USD. */
  @Column('numeric', { name: 'total_credits', default: 0 })
  totalCredits!: string;

  /** Usage and BYOK fees debited, USD. */
  @Column('numeric', { name: 'total_usage', default: 0 })
  totalUsage!: string;

  /** Card and crypto purchases, less refunds, USD (grants are not purchases). */
  @Column('numeric', { name: 'total_purchased', default: 0 })
  totalPurchased!: string;

  @Column('timestamptz', { name: 'updated_at' })
  updatedAt!: Date;
}
