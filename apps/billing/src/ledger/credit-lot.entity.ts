import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Credits added at one time (a purchase, a grant, a positive adjustment). Usage consumes the oldest lot first. */
@Entity({ name: 'credit_lots' })
export class CreditLotEntity {
  @PrimaryColumn('text')
  id!: string;

  @Column('bigint', { generated: 'increment' })
  seq!: string;

  @Column('text', { name: 'account_id' })
  accountId!: string;

  @Column('text')
  method!: 'card' | 'crypto' | 'grant' | 'adjustment';

  @Column('numeric')
  amount!: string;

  /** Fee paid on top of the credits (not refundable). */
  @Column('numeric', { default: 0 })
  fee!: string;

  @Column('numeric')
  remaining!: string;

  @Column('numeric', { default: 0 })
  refunded!: string;

  @Column('numeric', { default: 0 })
  expired!: string;

  @Column('timestamptz', { name: 'purchased_at' })
  purchasedAt!: Date;

  @Column('timestamptz', { name: 'expires_at', nullable: true })
  expiresAt!: Date | null;

  @Column('timestamptz', { name: 'refundable_until', nullable: true })
  refundableUntil!: Date | null;

  /** Caller-supplied idempotency reference of the top-up. */
  @Column('text', { name: 'external_ref', nullable: true, unique: true })
  externalRef!: string | null;
}
