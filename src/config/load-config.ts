import Ajv from 'ajv';
import { ConfigError } from './config-error';
import { parseDuration } from './duration';
import { hidePasswords } from './hide-passwords';
import { nodeUrls } from './node-urls';
import { VARIABLES, type VariableKind, type VariableSpec } from './variables';

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
  /** How long finished history is kept before the retention pruner deletes it; 0 keeps everything (WAGGLE_RETENTION). */
  retentionMs: number;
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
  /** OTLP/HTTP base URL of the collector (OTEL_EXPORTER_OTLP_ENDPOINT); with the next one unset, tracing is off. */
  otlpEndpoint: string | undefined;
  /** OTLP/HTTP URL of the traces signal (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT). */
  otlpTracesEndpoint: string | undefined;
  /** OTEL_TRACES_SAMPLER: one of the names TraceExport knows (validated against the same list). */
  tracesSampler: string;
  /** OTEL_TRACES_SAMPLER_ARG. */
  tracesSamplerArg: number;
  /** OTEL_BSP_SCHEDULE_DELAY. */
  traceExportDelayMs: number;
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
  const vhosts = new Set(nodeUrls(String(raw.WAGGLE_AMQP_URL)).map((u) => new URL(u).pathname || '/'));
  if (vhosts.size > 1) {
    throw new ConfigError([
      `WAGGLE_AMQP_URL: the nodes of a cluster must all name the same vhost (got ${[...vhosts].join(' and ')})`,
    ]);
  }
  return configOf(raw);
}

/** The config fields of validated values: each variable's value converted by its kind, under its key. */
function configOf(raw: Record<string, unknown>): WaggleConfig {
  const config: Record<string, unknown> = {};
  for (const v of VARIABLES) config[v.key] = fieldValue(v.kind, raw[v.env]);
  // variables.json names every field of WaggleConfig once (test/unit/config checks it against a full config).
  return config as unknown as WaggleConfig;
}

function fieldValue(kind: VariableKind, value: unknown): unknown {
  if (value === undefined || value === '') return kind === 'list' ? [] : undefined;
  switch (kind) {
    case 'duration':
      return parseDuration(value as string);
    case 'durations':
      return (value as string).split(',').map(parseDuration);
    case 'list':
      return (value as string).split(',');
    default:
      return value;
  }
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
