import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/**
 * What one ingress replica may spend of an account (key_id null) or of a key's limit (key_id set). One row per
 * account × replica and per key × replica; `lease_id` names the current epoch (a lease renewed after it expired
 * starts a new epoch, so late debits of the old one never count against the new one).
 */
@Entity({ name: 'leases' })
export class LeaseEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id!: string;

  @Column('text', { name: 'account_id' })
  accountId!: string;

  @Column('text', { name: 'key_id', nullable: true })
  keyId!: string | null;

  @Column('text', { name: 'replica_id' })
  replicaId!: string;

  @Column('text', { name: 'lease_id' })
  leaseId!: string;

  /** Total granted in this epoch, USD. */
  @Column('numeric', { default: 0 })
  granted!: string;

  /** Total debited in this epoch (generations carrying this lease id), USD. */
  @Column('numeric', { default: 0 })
  debited!: string;

  @Column('timestamptz', { name: 'expires_at' })
  expiresAt!: Date;

  @Column('timestamptz', { name: 'created_at' })
  createdAt!: Date;

  @Column('timestamptz', { name: 'updated_at' })
  updatedAt!: Date;
}
