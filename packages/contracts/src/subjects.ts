/**
 * Every NATS subject of Switchyard, the only place a subject string is written. Subjects are
 * `<prefix>.<owner>.<name>.v<major>`; the prefix is `sy` in production and a per-test value in tests
 * (SWITCHYARD_SUBJECT_PREFIX), so test runs and parallel sessions never hear each other.
 */
export const SUBJECT_PREFIX = (process.env.SWITCHYARD_SUBJECT_PREFIX ?? '').trim() || 'sy';

function subject(owner: string, name: string, major = 1): string {
  return `${SUBJECT_PREFIX}.${owner}.${name}.v${major}`;
}

export const subjects = {
  providers: {
    /** Raw NATS request (hot path): providers streams the attempt's frames back to the caller's inbox. */
    chat: subject('providers', 'chat'),
    /** Request/reply (raw NATS, queue group providers): one embeddings call against one upstream endpoint. */
    embed: subject('providers', 'embed'),
    /** Broadcast (no queue group): the replica running `attemptId` aborts its upstream call. */
    cancel: subject('providers', 'cancel'),
    /** Core NATS event: the outcome of every attempt, for the health monitor. */
    attemptCompleted: subject('providers', 'attempt-completed'),
    /** JetStream event: an attempt that produced usage, so metering can reconcile a generation whose ingress died. */
    attemptUsage: subject('providers', 'attempt-usage'),
    /** RPC (Nest): credential status and in-flight attempts. */
    status: subject('providers', 'status'),
    /** Core NATS event: an account's own provider keys (BYOK) changed; billing keeps `byokProviders` from it. */
    credentialsChanged: subject('providers', 'credentials-changed'),
    /** RPC: an account's own provider keys (BYOK), listed, stored or deleted by its management key. */
    byok: subject('providers', 'byok'),
    /** Core NATS, between providers replicas: reload credentials (carries no secret). */
    credentialsInvalidated: subject('providers', 'credentials-invalidated'),
  },
  catalog: {
    snapshot: subject('catalog', 'snapshot'),
    changed: subject('catalog', 'changed'),
  },
  routing: {
    table: subject('routing', 'table'),
    tableUpdated: subject('routing', 'table-updated'),
    explain: subject('routing', 'explain'),
  },
  billing: {
    keySnapshot: subject('billing', 'key-snapshot'),
    keysChanged: subject('billing', 'keys-changed'),
    /** RPC: one key by hash, for a key an ingress replica does not know yet. */
    keyLookup: subject('billing', 'key-lookup'),
    keyInfo: subject('billing', 'key-info'),
    credits: subject('billing', 'credits'),
    lease: subject('billing', 'lease'),
    keys: subject('billing', 'keys'),
    /** Event (core NATS): a spend alert an account's debit raised. */
    spendAlert: subject('billing', 'spend-alert'),
    /** RPC: an account's spend-alert thresholds and recent alerts, read or set by its management key. */
    alerts: subject('billing', 'alerts'),
    /** RPC: an account's guardrails, read or set by its management key. */
    guardrails: subject('billing', 'guardrails'),
    /** RPC: an account's presets (list, get, versions, create a version, delete). */
    presets: subject('billing', 'presets'),
    /** Event (core NATS): a preset was changed or deleted; ingress replicas forget their copy. */
    presetChanged: subject('billing', 'preset-changed'),
    /** RPC: OAuth PKCE codes (create for an account, exchange for a key). */
    authCodes: subject('billing', 'auth-codes'),
    accountChanged: subject('billing', 'account-changed'),
    /** RPC: every end user at their `user_limit` on a key, in the current windows (ingress's copy). */
    userLimits: subject('billing', 'user-limits'),
    /** Event (core NATS): a key's end-user blocks changed; ingress replicas fetch the blocks again. */
    userLimitsChanged: subject('billing', 'user-limits-changed'),
    /** RPC: take one request from the account's `:free` model quota (shared by every ingress replica). */
    freeQuota: subject('billing', 'free-quota'),
    /** Broadcast between billing replicas: a `:free` request one of them allowed (their shared minute window). */
    freeQuotaTaken: subject('billing', 'free-quota-taken'),
  },
  ingress: {
    /**
     * JetStream (stream `responseCacheStreamName`), one subject per cached response: `<this>.<API key id>.<sha-256 of
     * the cache key>`, the last message of a subject is the entry (read with a direct get); a key's entries are
     * purged together.
     */
    responseCache: subject('ingress', 'response-cache'),
  },
  metering: {
    generationCompleted: subject('metering', 'generation-completed'),
    generation: subject('metering', 'generation'),
    generationContent: subject('metering', 'generation-content'),
    generationFeedback: subject('metering', 'generation-feedback'),
    /** RPC: an account's daily activity per endpoint (`GET /api/v1/activity`). */
    activity: subject('metering', 'activity'),
  },
} as const;

/** The JetStream stream that holds every event carrying money or records (file storage, durable consumers). */
export const JETSTREAM_STREAM = jetstreamStreamName(SUBJECT_PREFIX);

/** The stream of a subject prefix: `SWITCHYARD` for the default `sy`, `SWITCHYARD_<PREFIX>` for others (tests, benchmark). */
export function jetstreamStreamName(prefix: string): string {
  return prefix === 'sy' ? 'SWITCHYARD' : `SWITCHYARD_${prefix.replace(/[^A-Za-z0-9_-]/g, '_').toUpperCase()}`;
}
/** The stream of ingress's response cache: `<stream of the prefix>_RESPONSES`. A cache, not a record: losing it loses hits. */
export function responseCacheStreamName(prefix: string): string {
  return `${jetstreamStreamName(prefix)}_RESPONSES`;
}
export const RESPONSE_CACHE_STREAM = responseCacheStreamName(SUBJECT_PREFIX);
export const JETSTREAM_SUBJECTS: readonly string[] = [subjects.metering.generationCompleted, subjects.providers.attemptUsage, subjects.providers.credentialsChanged];

/** Durable consumer names (one per consuming service and subject). */
export const durableConsumers = {
  meteringGenerations: 'metering-generations',
  meteringAttemptUsage: 'metering-attempt-usage',
  billingGenerations: 'billing-generations',
  billingCredentials: 'billing-credentials',
} as const;
