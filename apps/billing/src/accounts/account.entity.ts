import { Column, Entity, PrimaryColumn } from 'typeorm';

/** An account: who pays. Settings ingress applies to every request of its keys. */
@Entity({ name: 'accounts' })
export class AccountEntity {
  @PrimaryColumn('text')
  id!: string;

  @Column('text')
  name!: string;

  /** How far spend may go past the balance, USD. */
  @Column('numeric', { default: 0 })
  overdraft!: string;

  @Column('boolean', { name: 'allow_training', default: false })
  allowTraining!: boolean;

  @Column('boolean', { name: 'allow_retention', default: true })
  allowRetention!: boolean;

  @Column('boolean', { name: 'require_zdr', default: false })
  requireZdr!: boolean;

  @Column('boolean', { name: 'log_prompts', default: false })
  logPrompts!: boolean;

  @Column('text', { name: 'allowed_providers', array: true, nullable: true })
  allowedProviders!: string[] | null;

  @Column('text', { name: 'ignored_providers', array: true, default: '{}' })
  ignoredProviders!: string[];

  /** Providers for which the account stored its own key (kept in sync from providers' credentials-changed). */
  @Column('text', { name: 'byok_providers', array: true, default: '{}' })
  byokProviders!: string[];

  /** `at` of the last credentials-changed event applied (older events are ignored). */
  @Column('bigint', { name: 'byok_providers_at', default: 0 })
  byokProvidersAt!: string;

  @Column('boolean', { default: false })
  disabled!: boolean;

  @Column('timestamptz', { name: 'created_at' })
  createdAt!: Date;

  @Column('timestamptz', { name: 'updated_at' })
  updatedAt!: Date;
}
