import { Decimal, formatMoney, toDecimal } from '@switchyard/money';
import { freePort, TEST_ADMIN_TOKEN, waitFor } from '@switchyard/nest-kit/testing';
import OpenAI from 'openai';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Stack } from '../stack.js';

/**
 * Helpers for the money end-to-end tests: a private NATS server this file may kill and restart (the machine's
 * shared one must never be touched), billing / metering / simulator admin readers, and a chat client that keeps
 * what the client was told (status, generation id, `usage.cost`).
 */

const NATS_SERVER = process.env.NATS_SERVER_BINARY ?? '/usr/sbin/nats-server';

/** A nats-server with JetStream on a free port and its own store directory, for one test file. */
export class PrivateNats {
  private child: ChildProcess | undefined;
  private readonly output: string[] = [];

  private constructor(
    readonly port: number,
    readonly storeDirectory: string,
  ) {}

  static async start(): Promise<PrivateNats> {
    const nats = new PrivateNats(await freePort(), mkdtempSync(path.join(tmpdir(), 'switchyard-money-nats-')));
    await nats.launch();
    return nats;
  }

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  logs(): string {
    return this.output.join('').slice(-4_000);
  }

  private async launch(): Promise<void> {
    const child = spawn(NATS_SERVER, ['-a', '127.0.0.1', '-p', String(this.port), '-js', '-sd', this.storeDirectory], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    child.stdout?.on('data', (chunk: Buffer) => this.output.push(chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => this.output.push(chunk.toString()));
    await waitFor(() => this.accepting(), { timeoutMs: 15_000, intervalMs: 50, message: `nats-server on ${this.port} accepting\n${this.logs()}` });
  }

  private accepting(): Promise<boolean> {
    return new Promise((resolve) => {
      const socket = tcpConnect({ host: '127.0.0.1', port: this.port }, () => {
        socket.destroy();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
  }

  /** SIGKILL: a crash, JetStream state only as far as it reached the store directory. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGKILL');
    await exited;
  }

  /** Starts again on the same port and store directory. */
  async restart(): Promise<void> {
    await this.launch();
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (child && child.exitCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5_000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    rmSync(this.storeDirectory, { recursive: true, force: true });
  }
}

/** The simulator endpoints' list prices (catalog seed, `apps/catalog/seed/README.md`), USD per token. */
export const SIMULATOR_PRICES: Record<string, { prompt: string; completion: string }> = {
  'openai/gpt-4o-mini': { prompt: '0.00000015', completion: '0.0000006' },
  'openai/gpt-4.1-nano': { prompt: '0.0000001', completion: '0.0000004' },
  'anthropic/claude-sonnet-4.5': { prompt: '0.000003', completion: '0.000015' },
  'anthropic/claude-haiku-4.5': { prompt: '0.000001', completion: '0.000005' },
  'google/gemini-2.5-flash': { prompt: '0.0000003', completion: '0.0000025' },
  'deepseek/deepseek-r1': { prompt: '0.00000055', completion: '0.00000219' },
};

export interface SimulatorCounters {
  requests: number;
  completed: number;
  failed: number;
  reset: number;
  cancelled: number;
  promptTokens: number;
  completionTokens: number;
  cachedTokens: number;
}

export interface LedgerEntry {
  id: string;
  kind: string;
  amount: string;
  generationId: string | null;
  keyId: string | null;
  byokUsage: string | null;
}

/** The admin APIs this file reads totals from (all behind ADMIN_TOKEN). */
export class Admin {
  constructor(private readonly stack: Stack) {}

  private async call(service: 'billing' | 'metering' | 'simulator' | 'providers', method: string, route: string, body?: unknown): Promise<any> {
    const response = await this.stack.admin(service, method, route, body);
    if (response.status >= 300) throw new Error(`${service} ${method} ${route} → ${response.status}: ${JSON.stringify(response.body)}`);
    return response.body;
  }

  /** A fresh account served only by the simulator's providers (so every request is priced and counted there). */
  async createAccount(name: string, options: { topUp?: string; method?: 'card' | 'crypto' | 'grant'; providers?: string[]; logPrompts?: boolean; overdraft?: string } = {}): Promise<string> {
    const account = await this.call('billing', 'POST', '/admin/accounts', { name, ...(options.overdraft ? { overdraft: options.overdraft } : {}), ...(options.logPrompts ? { privacy: { logPrompts: true } } : {}) });
    await this.call('billing', 'PATCH', `/admin/accounts/${account.id}`, { allowedProviders: options.providers ?? ['simulator'] });
    if (options.topUp) await this.topUp(account.id, options.topUp, options.method ?? 'grant');
    return account.id as string;
  }

  topUp(accountId: string, amount: string, method: 'card' | 'crypto' | 'grant' = 'grant'): Promise<any> {
    return this.call('billing', 'POST', `/admin/accounts/${accountId}/top-ups`, { amount, method });
  }

  adjust(accountId: string, amount: string, reason: string): Promise<any> {
    return this.call('billing', 'POST', `/admin/accounts/${accountId}/adjustments`, { amount, reason });
  }

  patchAccount(accountId: string, patch: Record<string, unknown>): Promise<any> {
    return this.call('billing', 'PATCH', `/admin/accounts/${accountId}`, patch);
  }

  /** Creates a key through billing's admin API: `{data: KeyObject, key}`. */
  createKey(accountId: string, body: Record<string, unknown> = {}): Promise<{ data: { hash: string }; key: string }> {
    return this.call('billing', 'POST', `/admin/accounts/${accountId}/keys`, { name: 'e2e', ...body });
  }

  account(accountId: string): Promise<any> {
    return this.call('billing', 'GET', `/admin/accounts/${accountId}`);
  }

  /** Every ledger entry of an account (paged, newest first). */
  async ledger(accountId: string): Promise<LedgerEntry[]> {
    const entries: LedgerEntry[] = [];
    let before: string | null = null;
    do {
      const page: { data: LedgerEntry[]; next: string | null } = await this.call('billing', 'GET', `/admin/accounts/${accountId}/ledger?limit=1000${before ? `&before=${before}` : ''}`);
      entries.push(...page.data);
      before = page.next;
    } while (before);
    return entries;
  }

  /** Every generation metering recorded for an account (paged). */
  async generations(accountId: string): Promise<Array<{ id: string; cost: string | null; reconciled: boolean; usage: { prompt_tokens: number; completion_tokens: number }; is_byok: boolean; model: string }>> {
    const all = [];
    let before: string | null = null;
    do {
      const page: { data: any[]; next_before: string | null } = await this.call('metering', 'GET', `/admin/generations?account_id=${encodeURIComponent(accountId)}&limit=500${before ? `&before=${before}` : ''}`);
      all.push(...page.data);
      before = page.next_before;
    } while (before);
    return all;
  }

  async simulatorUsage(): Promise<Record<string, SimulatorCounters>> {
    return (await this.call('simulator', 'GET', '/admin/usage')).models;
  }

  resetSimulator(): Promise<unknown> {
    return this.call('simulator', 'POST', '/admin/reset');
  }

  setKnobs(model: string, knobs: Record<string, unknown>): Promise<unknown> {
    return this.call('simulator', 'PUT', `/admin/knobs/${encodeURIComponent(model)}`, knobs);
  }

  storeProviderKey(accountId: string, provider: string, apiKey: string): Promise<unknown> {
    return this.call('providers', 'POST', '/admin/credentials', { provider, apiKey, accountId });
  }
}

/** Σ of the usage debits (usage and BYOK fee lines) of a ledger, and the generation ids they debit. */
export function debits(entries: readonly LedgerEntry[]): { total: Decimal; generationIds: string[] } {
  const lines = entries.filter((entry) => entry.kind === 'usage' || entry.kind === 'byok_fee');
  return { total: lines.reduce((sum, entry) => sum.minus(toDecimal(entry.amount)), new Decimal(0)), generationIds: lines.map((entry) => entry.generationId ?? '') };
}

/** What the simulator billed, priced at the simulator endpoints' list prices. */
export function simulatorCost(usage: Record<string, SimulatorCounters>, models: readonly string[]): Decimal {
  let total = new Decimal(0);
  for (const model of models) {
    const counters = usage[model];
    if (!counters) continue;
    const price = SIMULATOR_PRICES[model];
    if (!price) throw new Error(`no price known for ${model}`);
    if (counters.cachedTokens > 0) throw new Error(`${model}: cached tokens would need the cache price`);
    total = total.plus(toDecimal(price.prompt).times(counters.promptTokens)).plus(toDecimal(price.completion).times(counters.completionTokens));
  }
  return total;
}

export interface ChatOutcome {
  ok: boolean;
  status: number;
  id?: string;
  /** `usage.cost` as the client received it, as an exact decimal string. */
  cost?: string;
  usage?: { prompt_tokens: number; completion_tokens: number; cost: number; is_byok?: boolean };
  error?: { message: string; metadata?: Record<string, unknown> };
}

/** One chat completion through the official SDK, streamed or not; never throws for an HTTP error. */
export async function chat(client: OpenAI, request: { model: string; stream?: boolean; max_tokens?: number; content?: string }): Promise<ChatOutcome> {
  const body = { model: request.model, messages: [{ role: 'user' as const, content: request.content ?? 'Tell me about money' }], ...(request.max_tokens ? { max_tokens: request.max_tokens } : {}) };
  try {
    if (request.stream) {
      const stream = await client.chat.completions.create({ ...body, stream: true });
      let id: string | undefined;
      let usage: ChatOutcome['usage'];
      for await (const chunk of stream) {
        id ??= chunk.id;
        if (chunk.usage) usage = chunk.usage as unknown as ChatOutcome['usage'];
        const error = (chunk as unknown as { error?: { message: string } }).error;
        if (error) return { ok: false, status: 200, id, usage, error };
      }
      if (!usage) return { ok: false, status: 200, id, error: { message: 'stream ended without usage' } };
      return { ok: true, status: 200, id, usage, cost: formatMoney(String(usage.cost)) };
    }
    const completion = await client.chat.completions.create(body);
    const usage = completion.usage as unknown as ChatOutcome['usage'];
    return { ok: true, status: 200, id: completion.id, usage, cost: formatMoney(String(usage!.cost)) };
  } catch (error) {
    if (error instanceof OpenAI.APIError) return { ok: false, status: error.status ?? 0, error: { message: error.message, metadata: (error.error as { metadata?: Record<string, unknown> } | undefined)?.metadata } };
    return { ok: false, status: 0, error: { message: (error as Error).message } };
  }
}

export function client(baseURL: string, apiKey: string): OpenAI {
  return new OpenAI({ baseURL, apiKey, maxRetries: 0, timeout: 60_000 });
}

/** Runs `work` over `items` with at most `concurrency` at a time, in order of start. */
export async function pool<T, R>(items: readonly T[], concurrency: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) {
        const index = next++;
        results[index] = await work(items[index]!, index);
      }
    }),
  );
  return results;
}

export function sum(values: ReadonlyArray<string | undefined>): Decimal {
  return values.reduce((total, value) => total.plus(toDecimal(value ?? '0')), new Decimal(0));
}

export { TEST_ADMIN_TOKEN };
