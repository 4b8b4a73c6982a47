import { DURATION_PATTERN } from './duration';

/** One environment variable that configures waggle. The table in docs/configuration.md is generated from this list. */
export interface VariableSpec {
  /** The environment variable's name. */
  env: string;
  /** JSON Schema of the raw string value (ajv coerces integers and booleans). */
  schema: Record<string, unknown>;
  /** What is allowed, in words, for the error line. */
  expected: string;
  /** Default as the environment would spell it; absent means "unset". */
  default?: string;
  description: string;
  /**
   * What of the value is secret. `value`: never printed, not even in an error line (which gives its length
   * instead). `password`: the password of the URL, printed as `***`. A password in any other URL is hidden
   * all the same; the mark says that the URL is expected to carry one.
   */
  secret?: 'value' | 'password';
}

const url = (protocols: string[]) => ({ type: 'string', pattern: `^(${protocols.join('|')})://[^\\s]+$` });
const duration = { type: 'string', pattern: DURATION_PATTERN };

/** Every variable waggle reads. Add a row here, then to WaggleConfig and toConfig(). */
export const VARIABLES: readonly VariableSpec[] = [
  {
    env: 'WAGGLE_AMQP_URL',
    schema: url(['amqp', 'amqps']),
    expected: 'an amqp:// or amqps:// URL',
    default: 'amqp://guest:guest@127.0.0.1:5672',
    description: 'RabbitMQ connection (user, password, host, port, vhost).',
    secret: 'password',
  },
  {
    env: 'WAGGLE_MANAGEMENT_URL',
    schema: url(['http', 'https']),
    expected: 'an http:// or https:// URL',
    default: 'http://guest:guest@127.0.0.1:15672',
    description: 'RabbitMQ management HTTP API: users, permissions, topology diff, queue depth.',
    secret: 'password',
  },
  {
    env: 'WAGGLE_DATABASE_URL',
    schema: url(['postgres', 'postgresql']),
    expected: 'a postgres:// URL',
    default: 'postgres://postgres@127.0.0.1:5432/waggle',
    description: 'PostgreSQL database; created at boot when missing and the role may.',
    secret: 'password',
  },
  {
    env: 'WAGGLE_HTTP_HOST',
    schema: { type: 'string', minLength: 1 },
    expected: 'a host name or address to listen on',
    default: '0.0.0.0',
    description: 'Address the HTTP server (ingress, health, metrics) listens on.',
  },
  {
    env: 'WAGGLE_HTTP_PORT',
    schema: { type: 'integer', minimum: 0, maximum: 65535 },
    expected: 'an integer from 0 to 65535 (0 picks a free port)',
    default: '8080',
    description: 'Port of the HTTP server.',
  },
  {
    env: 'WAGGLE_ADMIN_TOKEN',
    schema: { type: 'string', minLength: 16 },
    expected: 'at least 16 characters',
    description: 'Bearer token for /v1/admin; admin routes answer 401 while it is unset.',
    secret: 'value',
  },
  {
    env: 'WAGGLE_LOG_LEVEL',
    schema: { type: 'string', enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] },
    expected: 'one of fatal, error, warn, info, debug, trace, silent',
    default: 'info',
    description: 'Lowest level written to the JSON log on stdout.',
  },
  {
    env: 'WAGGLE_LOG_PRETTY',
    schema: { type: 'boolean' },
    expected: 'true/false, 1/0 or yes/no',
    default: 'false',
    description: 'Human-readable log lines instead of JSON (for a terminal, not for production).',
  },
  {
    env: 'WAGGLE_DB_POOL',
    schema: { type: 'integer', minimum: 1, maximum: 1000 },
    expected: 'an integer from 1 to 1000',
    default: '10',
    description:
      'PostgreSQL connections per process. Handlers hold none while they await (an agent thinks with no ' +
      'connection held), so this bounds database work at once, not turns in flight.',
  },
  {
    env: 'WAGGLE_SHUTDOWN_TIMEOUT',
    schema: duration,
    expected: 'a duration like "10s"',
    default: '10s',
    description: 'How long SIGTERM/SIGINT may drain in-flight requests and messages before exit.',
  },
  {
    env: 'WAGGLE_START_TIMEOUT',
    schema: duration,
    expected: 'a duration like "30s"',
    default: '30s',
    description:
      'How long `waggle start` waits for the database and the broker to answer; past it the process exits 1 with one line naming the one it could not reach.',
  },
  {
    env: 'WAGGLE_TOPOLOGY_FILE',
    schema: { type: 'string', minLength: 1 },
    expected: 'a path to a topology YAML file',
    default: 'topology/waggle.yaml',
    description: 'The declared topology applied at start.',
  },
  {
    env: 'WAGGLE_PUBLISH_BUFFER',
    schema: { type: 'integer', minimum: 1, maximum: 1_000_000 },
    expected: 'an integer from 1 to 1000000',
    default: '10000',
    description:
      'Most publishes waiting for a broker confirm at once; past it publishers are told "busy" (503).',
  },
  {
    env: 'WAGGLE_PREFETCH',
    schema: { type: 'integer', minimum: 1, maximum: 65535 },
    expected: 'an integer from 1 to 65535',
    default: '100',
    description: 'Default consumer prefetch (unacknowledged messages per consumer).',
  },
  {
    env: 'WAGGLE_AUTOSCALE_INTERVAL',
    schema: duration,
    expected: 'a duration like "5s"',
    default: '5s',
    description: 'How often the autoscaler samples queue depth and recomputes desired workers.',
  },
  {
    env: 'WAGGLE_AUTOSCALE_STABILIZATION',
    schema: duration,
    expected: 'a duration like "60s"',
    default: '60s',
    description:
      'Scale-down waits until every recommendation of this window is lower (scale-up is immediate).',
  },
  {
    env: 'WAGGLE_AUTOSCALE_TARGET_DRAIN',
    schema: duration,
    expected: 'a duration like "60s"',
    default: '60s',
    description:
      'The autoscaler sizes workers so that a backlog drains within this time at the measured throughput.',
  },
  {
    env: 'WAGGLE_CONSUMERS',
    schema: { type: 'string', pattern: '^[a-z0-9][a-z0-9.-]*(,[a-z0-9][a-z0-9.-]*)*$' },
    expected: 'comma-separated consumer names like "turn-processor,tool-runner"',
    description:
      'Consumers the workers role runs (unset: every consumer of the topology); one group per Deployment on Kubernetes.',
  },
  {
    env: 'WAGGLE_INGRESS_BODY_LIMIT',
    schema: { type: 'integer', minimum: 1024, maximum: 104_857_600 },
    expected: 'a number of bytes from 1024 to 104857600',
    default: '262144',
    description: 'Largest request body the ingress reads, in bytes (256 KiB); larger bodies get 413.',
  },
  {
    env: 'WAGGLE_INGRESS_BATCH_LIMIT',
    schema: { type: 'integer', minimum: 1, maximum: 10_000 },
    expected: 'an integer from 1 to 10000',
    default: '500',
    description: 'Most events in one POST /v1/events:batch; more get 413.',
  },
  {
    env: 'WAGGLE_RATE_LIMIT',
    schema: { type: 'number', minimum: 0 },
    expected: 'a number of events per second, 0 for no limit',
    default: '1000',
    description: 'Events per second each tenant may send to one ingress process (token bucket); past it 429.',
  },
  {
    env: 'WAGGLE_RATE_BURST',
    schema: { type: 'integer', minimum: 1 },
    expected: 'a whole number of events, at least 1',
    default: '2000',
    description: 'Events a tenant may send at once above its rate before 429 (the token bucket size).',
  },
  {
    env: 'WAGGLE_DEDUP_WINDOW',
    schema: duration,
    expected: 'a duration like "24h"',
    default: '24h',
    description: 'How long an event id is remembered: the same id again within it gets the first answer.',
  },
  {
    env: 'WAGGLE_KEY_CACHE_TTL',
    schema: duration,
    expected: 'a duration like "30s"',
    default: '30s',
    description: 'How long the ingress trusts an API key lookup; a revoked key stops working within it.',
  },
  {
    env: 'WAGGLE_ADMISSION_BATCH',
    schema: { type: 'integer', minimum: 1, maximum: 10_000 },
    expected: 'an integer from 1 to 10000',
    default: '500',
    description: 'Most events admitted by one Postgres statement (concurrent requests are grouped).',
  },
  {
    env: 'WAGGLE_ADMISSION_CONCURRENCY',
    schema: { type: 'integer', minimum: 1, maximum: 64 },
    expected: 'an integer from 1 to 64',
    default: '4',
    description:
      'Admission statements in flight at once per ingress process (a session is never in two at once).',
  },
  {
    env: 'WAGGLE_ADMISSION_QUEUE_LIMIT',
    schema: { type: 'integer', minimum: 1, maximum: 1_000_000 },
    expected: 'an integer from 1 to 1000000',
    default: '10000',
    description: 'Most events waiting for an admission statement; past it the ingress answers 503.',
  },
  {
    env: 'WAGGLE_REPUBLISH_AFTER',
    schema: duration,
    expected: 'a duration like "10s"',
    default: '10s',
    description:
      'An admitted event whose publish is still unconfirmed this long after admission is sent again.',
  },
  {
    env: 'WAGGLE_SCHEMAS_DIR',
    schema: { type: 'string', minLength: 1 },
    expected: 'a path to a directory of <event-type>.json schemas',
    default: 'topology/schemas',
    description: 'JSON Schemas of event data, one file per event type; other types are refused.',
  },
  {
    env: 'WAGGLE_SSE_HEARTBEAT',
    schema: duration,
    expected: 'a duration like "15s"',
    default: '15s',
    description: 'Interval of the comment lines that keep idle SSE session streams open through proxies.',
  },
  {
    env: 'WAGGLE_STREAM_RETENTION',
    schema: duration,
    expected: 'a duration like "24h"',
    default: '24h',
    description: 'How long outbound events stay in Postgres for SSE clients resuming with Last-Event-ID.',
  },
  {
    env: 'WAGGLE_AGENT_URL',
    schema: url(['http', 'https']),
    expected: 'an http:// or https:// URL',
    description:
      'The HTTP agent that answers the turns of tenants without one of their own (`waggle agents set`); unset: the demo agent answers them.',
  },
  {
    env: 'WAGGLE_AGENT_SECRET',
    schema: { type: 'string', pattern: '^whsec_[A-Za-z0-9+/]{32,88}={0,2}$' },
    expected: 'whsec_ followed by base64 of 24–64 bytes (required with WAGGLE_AGENT_URL)',
    description: 'Signs the turns sent to WAGGLE_AGENT_URL (Standard Webhooks); the agent verifies with it.',
    secret: 'value',
  },
  {
    env: 'WAGGLE_AGENT_TIMEOUT',
    schema: duration,
    expected: 'a duration like "30s"',
    default: '30s',
    description:
      'Longest WAGGLE_AGENT_URL may take to answer one turn, streaming included; past it the turn is retried.',
  },
  {
    env: 'WAGGLE_OUTBOUND_TIMEOUT',
    schema: duration,
    expected: 'a duration like "10s"',
    default: '10s',
    description: 'Longest wait for a channel provider to answer one send; a timeout is retried.',
  },
  {
    env: 'WAGGLE_WHATSAPP_API_URL',
    schema: url(['http', 'https']),
    expected: 'an http:// or https:// URL',
    default: 'https://graph.facebook.com',
    description: 'WhatsApp Cloud API (Graph API) base URL for sending replies.',
  },
  {
    env: 'WAGGLE_SLACK_API_URL',
    schema: url(['http', 'https']),
    expected: 'an http:// or https:// URL',
    default: 'https://slack.com/api',
    description: 'Slack Web API base URL for chat.postMessage.',
  },
  {
    env: 'WAGGLE_TELEGRAM_API_URL',
    schema: url(['http', 'https']),
    expected: 'an http:// or https:// URL',
    default: 'https://api.telegram.org',
    description: 'Telegram Bot API base URL for sendMessage.',
  },
  {
    env: 'WAGGLE_LEASE_TTL',
    schema: duration,
    expected: 'a duration like "15s"',
    default: '15s',
    description:
      'Partition lease lifetime: a worker that stops renewing (crashed, cut off) loses its partitions to the others after this long.',
  },
  {
    env: 'WAGGLE_SEQUENCE_GAP_TIMEOUT',
    schema: duration,
    expected: 'a duration like "10m" ("0s" never skips)',
    default: '10m',
    description:
      'How long an ordered session may wait for a sequence that never arrives (its later events held in the stash) before the runtime records the missing sequence as skipped and goes on; a copy arriving later is parked, not run.',
  },
  {
    env: 'WAGGLE_PUBLIC_URL',
    schema: url(['http', 'https']),
    expected: 'an http:// or https:// URL',
    default: 'http://127.0.0.1:8080',
    description:
      'Base URL tools reach this platform at: async tools POST results to <this>/v1/callbacks/<sagaId>.',
  },
  {
    env: 'WAGGLE_WEBHOOK_RETRY_SCHEDULE',
    schema: { type: 'string', pattern: '^[0-9]+(ms|s|m|h|d)(,[0-9]+(ms|s|m|h|d))*$' },
    expected: 'comma-separated durations like "5s,5m,30m"',
    default: '5s,5m,30m,2h,5h,10h,10h',
    description: 'Waits between webhook delivery attempts (one retry per entry after the first attempt).',
  },
  {
    env: 'WAGGLE_WEBHOOK_TIMEOUT',
    schema: duration,
    expected: 'a duration like "15s"',
    default: '15s',
    description: 'Time one webhook HTTP attempt may take before it counts as failed.',
  },
  {
    env: 'WAGGLE_WEBHOOK_DISABLE_AFTER',
    schema: duration,
    expected: 'a duration like "5d"',
    default: '5d',
    description:
      'A webhook endpoint failing without a single success for this long is disabled (the tenant gets webhook.endpoint.disabled).',
  },
  {
    env: 'WAGGLE_DEMO_TOOLS',
    schema: { type: 'boolean' },
    expected: 'true/false, 1/0 or yes/no',
    default: 'true',
    description:
      'The scheduler serves a demo `weather` tool at /v1/demo/tools/weather and registers it for every tenant unless one exists.',
  },
];
