import { DURATION_PATTERN } from './duration';

/** One environment variable that configures waggle. README's table is generated from this list. */
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
  /** Printed as `***` by `waggle config`. */
  secret?: boolean;
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
    secret: true,
  },
  {
    env: 'WAGGLE_MANAGEMENT_URL',
    schema: url(['http', 'https']),
    expected: 'an http:// or https:// URL',
    default: 'http://guest:guest@127.0.0.1:15672',
    description: 'RabbitMQ management HTTP API: users, permissions, topology diff, queue depth.',
    secret: true,
  },
  {
    env: 'WAGGLE_DATABASE_URL',
    schema: url(['postgres', 'postgresql']),
    expected: 'a postgres:// URL',
    default: 'postgres://postgres@127.0.0.1:5432/waggle',
    description: 'PostgreSQL database; created at boot when missing and the role may.',
    secret: true,
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
    expected: 'a string of at least 16 characters',
    description: 'Bearer token for /v1/admin; admin routes answer 401 while it is unset.',
    secret: true,
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
    expected: 'true/false or 1/0',
    default: 'false',
    description: 'Human-readable log lines instead of JSON (for a terminal, not for production).',
  },
  {
    env: 'WAGGLE_SHUTDOWN_TIMEOUT',
    schema: duration,
    expected: 'a duration like "10s"',
    default: '10s',
    description: 'How long SIGTERM/SIGINT may drain in-flight requests and messages before exit.',
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
];
