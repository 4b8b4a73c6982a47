import Ajv from 'ajv';
import { ConfigError } from './config-error';
import { parseDuration } from './duration';
import { hidePasswords } from './hide-passwords';
import { VARIABLES, type VariableSpec } from './variables';

/** waggle's configuration, fully resolved from the environment. */
export interface WaggleConfig {
  amqpUrl: string;
  managementUrl: string;
  databaseUrl: string;
  httpHost: string;
  httpPort: number;
  adminToken: string | undefined;
  logLevel: string;
  logPretty: boolean;
  shutdownTimeoutMs: number;
  /** PostgreSQL connections per process (WAGGLE_DB_POOL). */
  dbPool: number;
  /** How long boot waits for the database and the broker (WAGGLE_START_TIMEOUT). */
  startTimeoutMs: number;
  topologyFile: string;
  publishBuffer: number;
  prefetch: number;
  ingressBodyLimit: number;
  ingressBatchLimit: number;
  rateLimit: number;
  rateBurst: number;
  dedupWindowMs: number;
  keyCacheTtlMs: number;
  admissionBatch: number;
  admissionQueueLimit: number;
  admissionConcurrency: number;
  republishAfterMs: number;
  schemasDir: string;
  autoscaleIntervalMs: number;
  autoscaleStabilizationMs: number;
  autoscaleTargetDrainMs: number;
  /** Consumer names the workers role is limited to; empty means every consumer. */
  consumers: string[];
  sseHeartbeatMs: number;
  streamRetentionMs: number;
  /** The agent of tenants without their own (WAGGLE_AGENT_URL), signed with WAGGLE_AGENT_SECRET. */
  agentUrl: string | undefined;
  agentSecret: string | undefined;
  agentTimeoutMs: number;
  outboundTimeoutMs: number;
  whatsappApiUrl: string;
  slackApiUrl: string;
  telegramApiUrl: string;
  /** Partition lease lifetime (WAGGLE_LEASE_TTL). */
  leaseTtlMs: number;
  /** How long an ordered session waits for a missing sequence before skipping it; 0 never (WAGGLE_SEQUENCE_GAP_TIMEOUT). */
  sequenceGapTimeoutMs: number;
  /** Base URL of this platform for tool callbacks (WAGGLE_PUBLIC_URL). */
  publicUrl: string;
  /** Webhook retry waits (WAGGLE_WEBHOOK_RETRY_SCHEDULE). */
  webhookRetryScheduleMs: number[];
  webhookTimeoutMs: number;
  webhookDisableAfterMs: number;
  demoTools: boolean;
}

type Env = Record<string, string | undefined>;

function buildValidator() {
  const properties: Record<string, unknown> = {};
  for (const v of VARIABLES) properties[v.env] = v.schema;
  const ajv = new Ajv({ allErrors: true, coerceTypes: true, strict: false });
  return ajv.compile({ type: 'object', properties });
}

const validate = buildValidator();

/**
 * Reads and validates every WAGGLE_* variable. Throws ConfigError with one line per bad variable:
 * the name, the value found (a secret's length instead, a URL's password as `***`) and what is allowed.
 */
export function loadConfig(env: Env = process.env): WaggleConfig {
  const raw: Record<string, unknown> = {};
  for (const v of VARIABLES) {
    const value = env[v.env];
    if (value !== undefined && value !== '')
      raw[v.env] = v.schema.type === 'boolean' ? booleanWord(value) : value;
    else if (v.default !== undefined) raw[v.env] = v.default;
  }
  const original = { ...raw };
  if (!validate(raw)) {
    const bad = new Set<string>();
    for (const err of validate.errors ?? []) {
      const name = err.instancePath.replace(/^\//, '');
      if (name) bad.add(name);
    }
    const problems = VARIABLES.filter((v) => bad.has(v.env)).map((v) => problemLine(v, original[v.env]));
    throw new ConfigError(problems);
  }
  if (raw.WAGGLE_AGENT_URL !== undefined && raw.WAGGLE_AGENT_SECRET === undefined) {
    throw new ConfigError([
      'WAGGLE_AGENT_SECRET: must be set when WAGGLE_AGENT_URL is (the turns sent there are signed with it)',
    ]);
  }
  return {
    amqpUrl: raw.WAGGLE_AMQP_URL as string,
    managementUrl: raw.WAGGLE_MANAGEMENT_URL as string,
    databaseUrl: raw.WAGGLE_DATABASE_URL as string,
    httpHost: raw.WAGGLE_HTTP_HOST as string,
    httpPort: raw.WAGGLE_HTTP_PORT as number,
    adminToken: raw.WAGGLE_ADMIN_TOKEN as string | undefined,
    logLevel: raw.WAGGLE_LOG_LEVEL as string,
    logPretty: raw.WAGGLE_LOG_PRETTY as boolean,
    shutdownTimeoutMs: parseDuration(raw.WAGGLE_SHUTDOWN_TIMEOUT as string),
    dbPool: raw.WAGGLE_DB_POOL as number,
    startTimeoutMs: parseDuration(raw.WAGGLE_START_TIMEOUT as string),
    topologyFile: raw.WAGGLE_TOPOLOGY_FILE as string,
    publishBuffer: raw.WAGGLE_PUBLISH_BUFFER as number,
    prefetch: raw.WAGGLE_PREFETCH as number,
    ingressBodyLimit: raw.WAGGLE_INGRESS_BODY_LIMIT as number,
    ingressBatchLimit: raw.WAGGLE_INGRESS_BATCH_LIMIT as number,
    rateLimit: raw.WAGGLE_RATE_LIMIT as number,
    rateBurst: raw.WAGGLE_RATE_BURST as number,
    dedupWindowMs: parseDuration(raw.WAGGLE_DEDUP_WINDOW as string),
    keyCacheTtlMs: parseDuration(raw.WAGGLE_KEY_CACHE_TTL as string),
    admissionBatch: raw.WAGGLE_ADMISSION_BATCH as number,
    admissionQueueLimit: raw.WAGGLE_ADMISSION_QUEUE_LIMIT as number,
    admissionConcurrency: raw.WAGGLE_ADMISSION_CONCURRENCY as number,
    republishAfterMs: parseDuration(raw.WAGGLE_REPUBLISH_AFTER as string),
    schemasDir: raw.WAGGLE_SCHEMAS_DIR as string,
    autoscaleIntervalMs: parseDuration(raw.WAGGLE_AUTOSCALE_INTERVAL as string),
    autoscaleStabilizationMs: parseDuration(raw.WAGGLE_AUTOSCALE_STABILIZATION as string),
    autoscaleTargetDrainMs: parseDuration(raw.WAGGLE_AUTOSCALE_TARGET_DRAIN as string),
    consumers: raw.WAGGLE_CONSUMERS ? (raw.WAGGLE_CONSUMERS as string).split(',') : [],
    sseHeartbeatMs: parseDuration(raw.WAGGLE_SSE_HEARTBEAT as string),
    streamRetentionMs: parseDuration(raw.WAGGLE_STREAM_RETENTION as string),
    agentUrl: raw.WAGGLE_AGENT_URL as string | undefined,
    agentSecret: raw.WAGGLE_AGENT_SECRET as string | undefined,
    agentTimeoutMs: parseDuration(raw.WAGGLE_AGENT_TIMEOUT as string),
    outboundTimeoutMs: parseDuration(raw.WAGGLE_OUTBOUND_TIMEOUT as string),
    whatsappApiUrl: raw.WAGGLE_WHATSAPP_API_URL as string,
    slackApiUrl: raw.WAGGLE_SLACK_API_URL as string,
    telegramApiUrl: raw.WAGGLE_TELEGRAM_API_URL as string,
    leaseTtlMs: parseDuration(raw.WAGGLE_LEASE_TTL as string),
    sequenceGapTimeoutMs: parseDuration(raw.WAGGLE_SEQUENCE_GAP_TIMEOUT as string),
    publicUrl: raw.WAGGLE_PUBLIC_URL as string,
    webhookRetryScheduleMs: (raw.WAGGLE_WEBHOOK_RETRY_SCHEDULE as string).split(',').map(parseDuration),
    webhookTimeoutMs: parseDuration(raw.WAGGLE_WEBHOOK_TIMEOUT as string),
    webhookDisableAfterMs: parseDuration(raw.WAGGLE_WEBHOOK_DISABLE_AFTER as string),
    demoTools: raw.WAGGLE_DEMO_TOOLS as boolean,
  };
}

/** The variables as a Markdown table (the table in docs/configuration.md is this output). */
export function variablesMarkdown(): string {
  const rows = VARIABLES.map(
    (v) =>
      `| \`${v.env}\` | ${v.default === undefined ? '(unset)' : `\`${v.default}\``} | ${allowed(v)} | ${v.description} |`,
  );
  return ['| variable | default | allowed | meaning |', '|---|---|---|---|', ...rows].join('\n');
}

/** The effective configuration for `waggle config`: a secret value as `***`, a URL's password as `***`. */
export function describeConfig(env: Env = process.env): Array<{ env: string; value: string }> {
  return VARIABLES.map((v) => ({ env: v.env, value: printable(v, env[v.env] || v.default || '') }));
}

// The value of a variable as it may be printed anywhere.
function printable(v: VariableSpec, value: string): string {
  if (v.secret === 'value') return value ? '***' : '';
  return hidePasswords(value);
}

function problemLine(v: VariableSpec, value: unknown): string {
  if (v.secret === 'value') {
    const length = typeof value === 'string' ? value.length : String(value).length;
    return `${v.env}: must be ${v.expected} (got ${length})`;
  }
  return `${v.env}: ${hidePasswords(JSON.stringify(value))} is not ${v.expected}`;
}

function allowed(v: VariableSpec): string {
  if (v.secret === 'value') return `${v.expected}; secret: never printed`;
  if (v.secret === 'password') return `${v.expected}; its password is printed as \`***\``;
  return v.expected;
}

// ajv coerces "true"/"false"; operators also write 1/0 and yes/no.
function booleanWord(value: string): string {
  const lower = value.toLowerCase();
  if (lower === '1' || lower === 'yes') return 'true';
  if (lower === '0' || lower === 'no') return 'false';
  return lower;
}
