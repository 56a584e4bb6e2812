import { jest } from '@jest/globals';
import { Decimal, formatMoney, toDecimal } from '@switchyard/money';
import { TEST_ADMIN_TOKEN, waitFor } from '@switchyard/nest-kit/testing';
import { Admin, chat, client, debits, PrivateNats, simulatorCost, sum, type ChatOutcome } from './money-support/harness.js';
import { Stack, type IngressReplica } from './stack.js';

jest.setTimeout(180_000);

/** Models of the invariant run, each served only by the `simulator` provider at its own list price. */
const MODELS = ['openai/gpt-4o-mini', 'openai/gpt-4.1-nano', 'anthropic/claude-haiku-4.5', 'google/gemini-2.5-flash', 'deepseek/deepseek-r1'];
/** Slowed down for the reconciliation scenario (its ingress dies mid-stream); used by nothing else. */
const SLOW_MODEL = 'anthropic/claude-sonnet-4.5';

/**
 * Money end to end, on a private NATS server this file kills and restarts: every generation is debited exactly
 * once whatever crashes, spend never exceeds the balance however many requests and replicas, and a generation whose
 * ingress died before publishing is still charged exactly (metering's reconciler).
 */
describe('money: exact, once, and never beyond the balance', () => {
  let nats: PrivateNats;
  let stack: Stack;
  let admin: Admin;
  let second: IngressReplica;

  beforeAll(async () => {
    nats = await PrivateNats.start();
    stack = new Stack({
      readyTimeoutMs: 90_000,
      commonEnv: { NATS_URL: nats.url },
      env: {
        metering: { RECONCILE_AFTER_MS: '3000', RECONCILE_INTERVAL_MS: '500', CONSUMER_ACK_WAIT_MS: '2000', CONSUMER_LAG_POLL_MS: '500' },
        billing: { DEBIT_ACK_WAIT_MS: '2000' },
        ingress: { LEASE_CHUNK_USD: '0.5' },
        simulator: { SIMULATOR_KNOBS: JSON.stringify({ [SLOW_MODEL]: { tokensPerSecond: 25, completionTokens: 60 } }) },
      },
    });
    try {
      await stack.start();
      second = await stack.startIngressReplica();
    } catch (error) {
      throw new Error(`${(error as Error).message}\n${stack.logs()}\n--- nats ---\n${nats.logs()}`);
    }
    admin = new Admin(stack);
  }, 180_000);

  afterAll(async () => {
    await stack?.stop();
    await nats?.stop();
  });

  it('keeps ledger debits = generation costs = usage.cost received = simulator tokens × price through SIGKILLed billing and metering and a NATS restart', async () => {
    const accountId = await admin.createAccount('money-invariant', { topUp: '50' });
    const { key } = await admin.createKey(accountId);
    const clients = [client(stack.baseUrl, key), client(second.baseUrl, key)];
    await admin.resetSimulator();
    await admin.setKnobs(SLOW_MODEL, { tokensPerSecond: 25, completionTokens: 60 });

    const minimum = 300;
    const outcomes: ChatOutcome[] = [];
    const chaos: string[] = [];
    let done = 0;
    let inFlight = 0;
    let chaosOver = false;
    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    const afterRequests = (count: number) => waitFor(() => done >= count, { timeoutMs: 60_000, message: `${count} requests done` });
    // The load pauses (in-flight requests finish) only around NATS' death, so no upstream answer is ever in transit
    // when the bus dies (that one would be served upstream but lost on the way back, and rightly not billed).
    let gate: Promise<void> = Promise.resolve();
    const script = (async () => {
      await afterRequests(30);
      await stack.service('billing').kill();
      chaos.push('billing killed');
      await sleep(1_500);
      await stack.service('billing').start();
      chaos.push('billing restarted');
      await afterRequests(done + 20);
      await stack.service('metering').kill();
      chaos.push('metering killed');
      await sleep(1_500);
      await stack.service('metering').start();
      chaos.push('metering restarted');
      await afterRequests(done + 20);
      await stack.service('billing').kill();
      chaos.push('billing killed again');
      await sleep(1_000);
      let release!: () => void;
      gate = new Promise((resolve) => (release = resolve));
      // Workers already past the old gate resume within microtasks: let them start before waiting for the drain.
      await sleep(100);
      await waitFor(() => inFlight === 0, { timeoutMs: 30_000, message: 'load drained' });
      await nats.kill();
      chaos.push('nats killed (billing down, its backlog in JetStream)');
      await sleep(700);
      await nats.restart();
      chaos.push('nats restarted');
      // Traffic resumes once every running service is back on the bus (until then a request fails with 502/503).
      await waitFor(async () => (await Promise.all(['simulator', 'catalog', 'metering', 'routing', 'providers'].map((name) => stack.admin(name as 'metering', 'GET', '/admin/health')))).every((health) => health.status === 200), { timeoutMs: 30_000, message: 'services reconnected' });
      const ingressHealthy = async (adminUrl: string) => (await fetch(`${adminUrl}/admin/health`, { headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } })).status === 200;
      await waitFor(async () => (await ingressHealthy(stack.adminUrl('ingress'))) && (await ingressHealthy(second.adminUrl)), { timeoutMs: 30_000, message: 'both ingress replicas reconnected' });
      release();
      await stack.service('billing').start();
      chaos.push('billing restarted after nats');
      await afterRequests(done + 20);
    })().finally(() => (chaosOver = true));
    const clientsInOrder = (index: number) => clients[index % 2]!;
    let next = 0;
    await Promise.all(
      Array.from({ length: 6 }, async () => {
        while (next < minimum || !chaosOver) {
          const index = next++;
          const spec = { model: MODELS[index % MODELS.length]!, stream: index % 2 === 0, max_tokens: index % 3 === 0 ? 12 : undefined, content: `invariant request ${index}: ${'word '.repeat(index % 7)}` };
          await gate;
          inFlight += 1;
          outcomes[index] = await chat(clientsInOrder(index), spec).finally(() => (inFlight -= 1));
          done += 1;
        }
      }),
    );
    await script;
    const total = outcomes.length;

    const succeeded = outcomes.filter((outcome) => outcome.ok);
    const failed = outcomes.filter((outcome) => !outcome.ok);
    // A request may be refused while billing is dead (503: the lease has no room and billing cannot be asked) or fail
    // while the bus reconnects (providers unreachable); none of them reached an upstream (checked below against the
    // simulator's own count) and none is billed.
    for (const failure of failed) expect(failure.error?.message).toMatch(/billing|provider_unavailable|No providers replica/i);
    expect(total).toBeGreaterThanOrEqual(minimum);
    expect(succeeded.length).toBeGreaterThanOrEqual(total - 10);
    expect(chaos).toEqual(['billing killed', 'billing restarted', 'metering killed', 'metering restarted', 'billing killed again', 'nats killed (billing down, its backlog in JetStream)', 'nats restarted', 'billing restarted after nats']);
    const received = sum(succeeded.map((outcome) => outcome.cost));
    const ids = succeeded.map((outcome) => outcome.id!);
    expect(new Set(ids).size).toBe(ids.length);

    // Catch-up: metering and billing converge on exactly what the clients were told.
    const generations = await waitFor(
      async () => {
        const rows = await admin.generations(accountId);
        return rows.length >= succeeded.length && sum(rows.map((row) => row.cost ?? '0')).equals(received) ? rows : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 500, message: `metering records ${succeeded.length} generations costing ${formatMoney(received)}` },
    ).catch((error: Error) => {
      throw new Error(`${error.message}\n${stack.logs()}`);
    });
    const ledger = await waitFor(
      async () => {
        const entries = await admin.ledger(accountId);
        return debits(entries).total.equals(received) ? entries : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 500, message: `billing debits ${formatMoney(received)}` },
    ).catch(async (error: Error) => {
      const entries = await admin.ledger(accountId);
      const debited = debits(entries);
      const missing = ids.filter((id) => !debited.generationIds.includes(id));
      const idSet = new Set(ids);
      const extra = entries.filter((entry) => (entry.kind === 'usage' || entry.kind === 'byok_fee') && !idSet.has(entry.generationId ?? ''));
      error.message += ` (debits of generations no client was told about: ${extra.length})`;
      throw new Error(`${error.message}: debited ${formatMoney(debited.total)} in ${debited.generationIds.length} lines; missing ${missing.length}: ${missing.slice(0, 5).join(', ')}\n${stack.logs()}`);
    });
    const debited = debits(ledger);
    const usage = await admin.simulatorUsage();

    expect(generations.map((row) => row.id).sort()).toEqual([...ids].sort());
    expect(generations.filter((row) => row.reconciled)).toEqual([]);
    expect([...debited.generationIds].sort()).toEqual([...ids].sort());
    expect(formatMoney(sum(generations.map((row) => row.cost ?? '0')))).toBe(formatMoney(received));
    expect(formatMoney(debited.total)).toBe(formatMoney(received));
    expect(formatMoney(simulatorCost(usage, MODELS))).toBe(formatMoney(received));
    const served = MODELS.reduce((count, model) => count + (usage[model]?.completed ?? 0), 0);
    expect(served).toBe(succeeded.length);
    const account = await admin.account(accountId);
    expect(formatMoney(account.totalUsage)).toBe(formatMoney(received));
    process.stdout.write(`money invariant: ${total} requests (${succeeded.length} served, ${failed.length} refused), ${formatMoney(received)} USD received = debited = recorded = simulated; chaos: ${chaos.join(' → ')}\n`);
    expect(formatMoney(account.balance)).toBe(formatMoney(new Decimal(50).minus(received)));
  });

  /** The smallest request that costs something: its reserved (maximum) cost, read from a 402 on an empty account. */
  async function reservedCost(request: { model: string; max_tokens: number; content: string }): Promise<Decimal> {
    const empty = await admin.createAccount('empty');
    const { key } = await admin.createKey(empty);
    const refused = await chat(client(stack.baseUrl, key), request);
    expect(refused).toMatchObject({ ok: false, status: 402 });
    expect(refused.error?.message).toContain(`You requested up to ${request.max_tokens} tokens, but can only afford 0`);
    return toDecimal(String(refused.error?.metadata?.required));
  }

  async function burst(accountId: string, clients: ReturnType<typeof client>[], request: { model: string; max_tokens: number; content: string }, count: number): Promise<ChatOutcome[]> {
    return Promise.all(Array.from({ length: count }, (_, index) => chat(clients[index % clients.length]!, { ...request, stream: index % 2 === 1 })));
  }

  async function settledDebits(accountId: string, expected: Decimal): Promise<Decimal> {
    const entries = await waitFor(async () => {
      const ledger = await admin.ledger(accountId);
      return debits(ledger).total.equals(expected) ? ledger : undefined;
    }, { timeoutMs: 30_000, intervalMs: 250, message: `debits of ${accountId} reach ${formatMoney(expected)}` });
    return debits(entries).total;
  }

  it.each([
    ['one ingress replica', 1],
    ['two ingress replicas sharing the account', 2],
  ])('never spends beyond the balance: 200 parallel requests against a balance that affords 20 (%s)', async (_label, replicas) => {
    const request = { model: 'openai/gpt-4o-mini', max_tokens: 20, content: 'Count to twenty' };
    const reserved = await reservedCost(request);
    const balance = reserved.times(20);
    const accountId = await admin.createAccount(`afford-20-${replicas}`, { topUp: formatMoney(balance) });
    const { key } = await admin.createKey(accountId);
    const clients = [client(stack.baseUrl, key), client(second.baseUrl, key)].slice(0, replicas);

    const outcomes = await burst(accountId, clients, request, 200);
    const succeeded = outcomes.filter((outcome) => outcome.ok);
    const refused = outcomes.filter((outcome) => !outcome.ok);
    const spent = sum(succeeded.map((outcome) => outcome.cost));
    expect(spent.lte(balance)).toBe(true);
    // Nothing affordable is refused either: the balance buys at least the 20 requests it was sized for.
    expect(succeeded.length).toBeGreaterThanOrEqual(20);
    for (const refusal of refused) {
      expect(refusal.status).toBe(402);
      expect(refusal.error?.message).toMatch(/This request requires more credits, or fewer max_tokens\. You requested up to 20 tokens, but can only afford \d+\./);
    }
    // Billing debits exactly what was spent, and the balance never goes below zero (overdraft 0).
    expect(formatMoney(await settledDebits(accountId, spent))).toBe(formatMoney(spent));
    const account = await admin.account(accountId);
    expect(toDecimal(account.balance).gte(0)).toBe(true);
    expect(formatMoney(account.balance)).toBe(formatMoney(balance.minus(spent)));
  });

  it('charges a generation exactly when the ingress that served it dies before publishing it (reconciled from providers attempt usage)', async () => {
    const accountId = await admin.createAccount('orphaned', { topUp: '5' });
    const { key } = await admin.createKey(accountId);
    const before = (await admin.simulatorUsage())[SLOW_MODEL];
    expect(before?.requests ?? 0).toBe(0);

    // A slow stream through the second replica, which is SIGKILLed once content flows: providers still finishes the
    // upstream call (nobody cancels it) and reports the attempt's usage with ingress's charge inputs.
    const abort = new AbortController();
    const response = await fetch(`${second.baseUrl}/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: SLOW_MODEL, stream: true, messages: [{ role: 'user', content: 'Write slowly, I will not be there at the end' }] }),
      signal: abort.signal,
    });
    const generationId = response.headers.get('x-generation-id');
    expect(generationId).toMatch(/^gen-/);
    const reader = response.body!.getReader();
    let received = '';
    while (!received.includes('"content"')) {
      const chunk = await reader.read();
      if (chunk.done) throw new Error(`the stream ended before content: ${received}`);
      received += new TextDecoder().decode(chunk.value);
    }
    await second.process.kill();
    abort.abort();

    const simulated = await waitFor(async () => ((await admin.simulatorUsage())[SLOW_MODEL]?.completed === 1 ? (await admin.simulatorUsage())[SLOW_MODEL] : undefined), {
      timeoutMs: 15_000,
      message: 'the upstream call completed',
    });
    const expected = simulatorCost({ [SLOW_MODEL]: simulated }, [SLOW_MODEL]);
    expect(expected.gt(0)).toBe(true);

    const entries = await waitFor(async () => {
      const ledger = await admin.ledger(accountId);
      return ledger.some((entry) => entry.generationId === generationId) ? ledger : undefined;
    }, { timeoutMs: 30_000, intervalMs: 250, message: 'the orphaned generation debited' }).catch((error: Error) => {
      throw new Error(`${error.message}\n${stack.logs()}`);
    });
    const debit = entries.filter((entry) => entry.generationId === generationId);
    expect(debit).toHaveLength(1);
    expect(formatMoney(toDecimal(debit[0]!.amount).negated())).toBe(formatMoney(expected));
    const generations = await waitFor(async () => {
      const rows = await admin.generations(accountId);
      return rows.length > 0 ? rows : undefined;
    }, { timeoutMs: 15_000, message: 'the orphaned generation recorded by metering' });
    expect(generations).toHaveLength(1);
    expect(generations[0]).toMatchObject({ id: generationId, reconciled: true, cost: formatMoney(expected), model: SLOW_MODEL });
    expect(generations[0]!.usage).toMatchObject({ prompt_tokens: simulated.promptTokens, completion_tokens: simulated.completionTokens });

    // Nothing more arrives later (the dead replica never publishes; a second pass never charges again).
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(debits(await admin.ledger(accountId)).total.equals(expected)).toBe(true);
  });
});
