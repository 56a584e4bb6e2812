import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

/** A provider key at rest: a platform key (`account_id` null) or an account's own key (BYOK), encrypted. */
@Entity({ name: 'credentials' })
export class CredentialEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'text' })
  provider!: string;

  @Column({ name: 'account_id', type: 'text', nullable: true })
  accountId!: string | null;

  /** `v1.<keyId>.<iv>.<tag>.<ciphertext>`, see CredentialCipher. */
  @Column({ type: 'text' })
  secret!: string;

  @Column({ type: 'text' })
  last4!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
