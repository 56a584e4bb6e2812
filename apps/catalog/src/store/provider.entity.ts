import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity({ name: 'providers' })
export class ProviderEntity {
  @PrimaryColumn({ type: 'text' })
  slug!: string;

  @Column({ type: 'text' })
  name!: string;

  @Column({ name: 'wire_format', type: 'text' })
  wireFormat!: string;

  @Column({ type: 'text', nullable: true })
  adapter!: string | null;

  @Column({ name: 'base_url', type: 'text' })
  baseUrl!: string;

  @Column({ name: 'api_version', type: 'text', nullable: true })
  apiVersion!: string | null;

  @Column({ name: 'trains_on_data', type: 'boolean' })
  trainsOnData!: boolean;

  @Column({ name: 'retains_prompts', type: 'boolean' })
  retainsPrompts!: boolean;

  @Column({ name: 'retention_days', type: 'integer', nullable: true })
  retentionDays!: number | null;

  @Column({ type: 'boolean' })
  zdr!: boolean;

  @Column({ type: 'boolean' })
  moderated!: boolean;

  @Column({ name: 'status_page_url', type: 'text', nullable: true })
  statusPageUrl!: string | null;

  @Column({ name: 'privacy_policy_url', type: 'text', nullable: true })
  privacyPolicyUrl!: string | null;

  @Column({ name: 'terms_of_service_url', type: 'text', nullable: true })
  termsOfServiceUrl!: string | null;

  @Column({ type: 'text', nullable: true })
  headquarters!: string | null;

  @Column({ type: 'text', array: true })
  datacenters!: string[];

  @Column({ type: 'text' })
  status!: string;

  @Column({ name: 'created_at', type: 'timestamptz', insert: false, update: false })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'timestamptz', insert: false })
  updatedAt!: Date;
}
