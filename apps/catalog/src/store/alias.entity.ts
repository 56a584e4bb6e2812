import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity({ name: 'aliases' })
export class AliasEntity {
  @PrimaryColumn({ type: 'text' })
  alias!: string;

  @Column({ name: 'target_model_id', type: 'text' })
  targetModelId!: string;

  @Column({ name: 'created_at', type: 'timestamptz', insert: false, update: false })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'timestamptz', insert: false })
  updatedAt!: Date;
}
