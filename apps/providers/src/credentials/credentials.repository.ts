import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, type Repository } from 'typeorm';
import { CredentialEntity } from './credential.entity.js';

export interface CredentialRow {
  provider: string;
  accountId: string | null;
  secret: string;
  last4: string;
  createdAt: Date;
  updatedAt: Date;
}

function toRow(entity: CredentialEntity): CredentialRow {
  return { provider: entity.provider, accountId: entity.accountId, secret: entity.secret, last4: entity.last4, createdAt: entity.createdAt, updatedAt: entity.updatedAt };
}

/** The only place with SQL for credentials. Never on the request path: the service keeps a decrypted cache. */
@Injectable()
export class CredentialsRepository {
  constructor(@InjectRepository(CredentialEntity) private readonly credentials: Repository<CredentialEntity>) {}

  async findAll(): Promise<CredentialRow[]> {
    return (await this.credentials.find({ order: { provider: 'ASC', accountId: 'ASC' } })).map(toRow);
  }

  async findPlatform(): Promise<CredentialRow[]> {
    return (await this.credentials.find({ where: { accountId: IsNull() }, order: { provider: 'ASC' } })).map(toRow);
  }

  async findByAccount(accountId: string): Promise<CredentialRow[]> {
    return (await this.credentials.find({ where: { accountId }, order: { provider: 'ASC' } })).map(toRow);
  }

  /** Inserts or replaces the key of (provider, account); `created_at` is kept on replace. */
  async upsert(input: { provider: string; accountId: string | null; secret: string; last4: string }): Promise<CredentialRow> {
    const rows: Array<{ provider: string; account_id: string | null; secret: string; last4: string; created_at: Date; updated_at: Date }> = await this.credentials.query(
      `INSERT INTO credentials (provider, account_id, secret, last4)
       VALUES ($1, $2, $3, $4)
       ON CONFLICT ON CONSTRAINT credentials_provider_account_unique
       DO UPDATE SET secret = EXCLUDED.secret, last4 = EXCLUDED.last4, updated_at = now()
       RETURNING provider, account_id, secret, last4, created_at, updated_at`,
      [input.provider, input.accountId, input.secret, input.last4],
    );
    const row = rows[0]!;
    return { provider: row.provider, accountId: row.account_id, secret: row.secret, last4: row.last4, createdAt: row.created_at, updatedAt: row.updated_at };
  }

  /** Deletes the key of (provider, account); false when there was none. */
  async delete(provider: string, accountId: string | null): Promise<boolean> {
    const result = await this.credentials.delete({ provider, accountId: accountId === null ? IsNull() : accountId });
    return (result.affected ?? 0) > 0;
  }
}
