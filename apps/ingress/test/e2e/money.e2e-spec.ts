import { jest } from '@jest/globals';
import { Decimal, formatMoney, toDecimal } from '@switchyard/money';
import { waitFor } from '@switchyard/nest-kit/testing';
import { Admin, chat, client, debits, pool, PrivateNats, simulatorCost, sum, type ChatOutcome } from './money-support/harness.js';
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
  }, 120_000);

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

    const total = 300;
    const outcomes: ChatOutcome[] = [];
    const chaos: string[] = [];
    let done = 0;
    // Chaos at fixed points of the run; the load pauses (in-flight requests finish) only around NATS' death, so
    // no upstream answer is ever in transit when the bus dies (that one would be served upstream but lost).
    let gate: Promise<void> = Promise.resolve();
    const steps = new Map<number, () => Promise<void>>([
      [40, async () => void (await stack.service('billing').kill(), chaos.push('billing killed'))],
      [80, async () => void (await stack.service('billing').start(), chaos.push('billing restarted'))],
      [110, async () => void (await stack.service('metering').kill(), chaos.push('metering killed'))],
      [150, async () => void (await stack.service('metering').start(), chaos.push('metering restarted'))],
      [170, async () => void (await stack.service('billing').kill(), chaos.push('billing killed again'))],
      [
        200,
        async () => {
          let release!: () => void;
          gate = new Promise((resolve) => (release = resolve));
          await waitFor(() => inFlight === 0, { timeoutMs: 30_000, message: 'load drained' });
          await nats.kill();
          chaos.push('nats killed');
          await new Promise((resolve) => setTimeout(resolve, 700));
          await nats.restart();
          chaos.push('nats restarted');
          await stack.service('billing').start();
          chaos.push('billing restarted after nats');
          await stack.waitForIngress();
          await stack.waitForIngress(second.baseUrl);
          release();
        },
      ],
    ]);
    let inFlight = 0;
    const specs = Array.from({ length: total }, (_, index) => ({ model: MODELS[index % MODELS.length]!, stream: index % 2 === 0, max_tokens: index % 3 === 0 ? 12 : undefined, content: `invariant request ${index}: ${'word '.repeat(index % 7)}` }));
    await pool(specs, 6, async (spec, index) => {
      await gate;
      inFlight += 1;
      const outcome = await chat(clients[index % 2]!, spec).finally(() => (inFlight -= 1));
      outcomes[index] = outcome;
      done += 1;
      const step = steps.get(done);
      if (step) await step();
    });

    const succeeded = outcomes.filter((outcome) => outcome.ok);
    const failed = outcomes.filter((outcome) => !outcome.ok);
    // Billing's death may refuse a request (503: no room left in the lease, billing unreachable), never anything else.
    for (const failure of failed) expect({ status: failure.status, message: failure.error?.message }).toMatchObject({ status: 503 });
    expect(succeeded.length).toBeGreaterThanOrEqual(total - 10);
    expect(chaos).toEqual(['billing killed', 'billing restarted', 'metering killed', 'metering restarted', 'billing killed again', 'nats killed', 'nats restarted', 'billing restarted after nats']);
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
    );
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
    expect(succeeded.length).toBeGreaterThanOrEqual(replicas === 1 ? 20 : 10);
    expect(succeeded.length).toBeLessThanOrEqual(20 + Math.floor(balance.minus(spent).dividedBy(reserved).toNumber()) + 20);
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
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toContain('data:');
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
    const generations = await admin.generations(accountId);
    expect(generations).toHaveLength(1);
    expect(generations[0]).toMatchObject({ id: generationId, reconciled: true, cost: formatMoney(expected), model: SLOW_MODEL });
    expect(generations[0]!.usage).toMatchObject({ prompt_tokens: simulated.promptTokens, completion_tokens: simulated.completionTokens });

    // Nothing more arrives later (the dead replica never publishes; a second pass never charges again).
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(debits(await admin.ledger(accountId)).total.equals(expected)).toBe(true);
  });
});
