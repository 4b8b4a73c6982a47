import type { Arguments } from './model';
import type { TopologyPlan } from './plan-model';
import { rabbitPasswordHash, resolveProducerPassword } from './producer-password';

/** A RabbitMQ definitions document, as the management UI's "Import definitions" reads it. */
export interface RabbitDefinitions {
  rabbit_version?: string;
  users: Array<{
    name: string;
    password_hash: string;
    hashing_algorithm: string;
    tags: string[];
    limits: Record<string, never>;
  }>;
  vhosts: Array<{ name: string }>;
  permissions: Array<{ user: string; vhost: string; configure: string; write: string; read: string }>;
  topic_permissions: Array<{ user: string; vhost: string; exchange: string; write: string; read: string }>;
  parameters: never[];
  global_parameters: never[];
  policies: never[];
  queues: Array<{
    name: string;
    vhost: string;
    durable: boolean;
    auto_delete: boolean;
    arguments: Arguments;
  }>;
  exchanges: Array<{
    name: string;
    vhost: string;
    type: string;
    durable: boolean;
    auto_delete: boolean;
    internal: boolean;
    arguments: Arguments;
  }>;
  bindings: Array<{
    source: string;
    vhost: string;
    destination: string;
    destination_type: string;
    routing_key: string;
    arguments: Arguments;
  }>;
}

export interface ExportOptions {
  /** Vhost the objects belong to. @default '/' */
  vhost?: string;
  /** Where producers' passwordEnv variables are read. @default process.env */
  env?: Record<string, string | undefined>;
  /** Written as `rabbit_version` when given. */
  rabbitVersion?: string;
}

/**
 * The plan as a RabbitMQ definitions document: import it with the management UI ("Import definitions"),
 * `rabbitmqctl import_definitions` or `POST /api/definitions`. Producer passwords are stored as the
 * broker's salted sha256 hash of the resolved password, never in clear.
 */
export function exportDefinitions(plan: TopologyPlan, options: ExportOptions = {}): RabbitDefinitions {
  const vhost = options.vhost ?? '/';
  const env = options.env ?? process.env;
  const declared = (d: Declared) => declaredIn(vhost, d);
  const defs: RabbitDefinitions = {
    users: plan.users.map((u) => ({
      name: u.name,
      password_hash: rabbitPasswordHash(u.name, resolveProducerPassword(u, env).password),
      hashing_algorithm: 'rabbit_password_hashing_sha256',
      tags: [...u.tags],
      limits: {},
    })),
    vhosts: [{ name: vhost }],
    permissions: plan.permissions.map((p) => ({
      user: p.user,
      vhost,
      configure: p.configure,
      write: p.write,
      read: p.read,
    })),
    topic_permissions: plan.topicPermissions.map((p) => ({
      user: p.user,
      vhost,
      exchange: p.exchange,
      write: p.write,
      read: p.read,
    })),
    parameters: [],
    global_parameters: [],
    policies: [],
    queues: plan.queues.map(declared),
    exchanges: plan.exchanges.map((e) => ({ ...declared(e), type: e.type, internal: e.internal })),
    bindings: plan.bindings.map((b) => ({
      source: b.source,
      vhost,
      destination: b.destination,
      destination_type: b.destinationType,
      routing_key: b.routingKey,
      arguments: { ...b.arguments },
    })),
  };
  return options.rabbitVersion ? { rabbit_version: options.rabbitVersion, ...defs } : defs;
}

/** What queues and exchanges share in a definitions file. */
interface Declared {
  name: string;
  durable: boolean;
  autoDelete: boolean;
  arguments: Arguments;
}

function declaredIn(vhost: string, d: Declared) {
  return {
    name: d.name,
    vhost,
    durable: d.durable,
    auto_delete: d.autoDelete,
    arguments: { ...d.arguments },
  };
}
