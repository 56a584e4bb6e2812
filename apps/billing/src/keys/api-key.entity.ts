import { Column, Entity, PrimaryColumn } from 'typeorm';

/** An API key. Only the SHA-256 hash of the key is stored; the plaintext is shown once at creation. */
@Entity({ name: 'api_keys' })
export class ApiKeyEntity {
  @PrimaryColumn('text')
  id!: string;

  @Column('text', { unique: true })
  hash!: string;

  @Column('text', { name: 'account_id' })
  accountId!: string;

  @Column('text')
  name!: string;

  /** Masked key ("sk-sy-v1-0e6...1c96"). */
  @Column('text')
  label!: string;

  @Column('text')
  kind!: 'inference' | 'management';

  @Column('boolean', { default: false })
  disabled!: boolean;

  /** USD per window (or lifetime when limit_reset is null); null = unlimited. */
  @Column('numeric', { nullable: true })
  limit!: string | null;

  @Column('text', { name: 'limit_reset', nullable: true })
  limitReset!: 'daily' | 'weekly' | 'monthly' | null;

  @Column('boolean', { name: 'include_byok_in_limit', default: false })
  includeByokInLimit!: boolean;

  @Column('timestamptz', { name: 'expires_at', nullable: true })
  expiresAt!: Date | null;

  @Column('text', { name: 'creator_user_id', nullable: true })
  creatorUserId!: string | null;

  @Column('numeric', { name: 'usage_total', default: 0 })
  usageTotal!: string;

  @Column('numeric', { name: 'byok_usage_total', default: 0 })
  byokUsageTotal!: string;

  @Column('timestamptz', { name: 'created_at' })
  createdAt!: Date;

  @Column('timestamptz', { name: 'updated_at' })
  updatedAt!: Date;
}
