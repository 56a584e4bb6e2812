import type { ReasoningCapabilities } from '@switchyard/llm-spec';
import { Column, Entity, PrimaryColumn, type ValueTransformer } from 'typeorm';

/** bigint ↔ number (unix seconds, versions; pg returns int8 as a string). */
export const bigintToNumber: ValueTransformer = {
  to: (value: number | null | undefined) => value,
  from: (value: string | number | null) => (value === null ? null : Number(value)),
};

@Entity({ name: 'models' })
export class ModelEntity {
  @PrimaryColumn({ type: 'text' })
  id!: string;

  @Column({ name: 'canonical_slug', type: 'text' })
  canonicalSlug!: string;

  @Column({ name: 'hugging_face_id', type: 'text', nullable: true })
  huggingFaceId!: string | null;

  @Column({ type: 'text' })
  name!: string;

  @Column({ type: 'text' })
  description!: string;

  @Column({ type: 'bigint', transformer: bigintToNumber })
  created!: number;

  @Column({ name: 'context_length', type: 'integer' })
  contextLength!: number;

  @Column({ name: 'input_modalities', type: 'text', array: true })
  inputModalities!: string[];

  @Column({ name: 'output_modalities', type: 'text', array: true })
  outputModalities!: string[];

  @Column({ type: 'text' })
  tokenizer!: string;

  @Column({ name: 'instruct_type', type: 'text', nullable: true })
  instructType!: string | null;

  @Column({ type: 'jsonb', nullable: true })
  reasoning!: ReasoningCapabilities | null;

  @Column({ name: 'knowledge_cutoff', type: 'text', nullable: true })
  knowledgeCutoff!: string | null;

  @Column({ name: 'expiration_date', type: 'text', nullable: true })
  expirationDate!: string | null;

  @Column({ name: 'default_parameters', type: 'jsonb', nullable: true })
  defaultParameters!: Record<string, number | null> | null;

  @Column({ type: 'text' })
  status!: string;

  @Column({ name: 'created_at', type: 'timestamptz', insert: false, update: false })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'timestamptz', insert: false })
  updatedAt!: Date;
}
