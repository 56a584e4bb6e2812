import { Column, Entity, PrimaryColumn } from 'typeorm';

/** BYOK usage of an account per calendar month (UTC), at list price: the base of the free BYOK allowance. */
@Entity({ name: 'account_byok_monthly' })
export class AccountByokMonthlyEntity {
  @PrimaryColumn('text', { name: 'account_id' })
  accountId!: string;

  /** First day of the month. */
  @PrimaryColumn('date')
  month!: string;

  @Column('numeric', { default: 0 })
  usage!: string;

  @Column('integer', { default: 0 })
  requests!: number;
}
