import path from 'node:path';
import { connectAnyNode } from '../../src/broker';
import { loadConfig } from '../../src/config';
import {
  applyManagement,
  applyTopology,
  loadTopology,
  planTopology,
  resolveProducerPassword,
} from '../../src/topology';
import { amqpUrlFor, createVhost, deleteVhost } from './broker-admin';
import { uniqueName } from './names';
import { REPO_ROOT } from './processes';

/** What admission uses on the broker, as topology/waggle.yaml declares it. */
export const ADMISSION_OBJECTS = {
  events: 'events',
  admissionExchange: 'waggle.admission',
  admissionQueue: 'waggle.admission',
  parkedQueue: 'waggle.admission.parked',
} as const;

/** The shipped topology file. */
export const SHIPPED_TOPOLOGY = path.join(REPO_ROOT, 'topology/waggle.yaml');

/**
 * Applies the shipped topology/waggle.yaml to `vhost` the way `waggle topology apply` does: exchanges,
 * queues and bindings over AMQP, then producer users and their (topic) permissions through the
 * management API.
 */
export async function applyShippedTopology(vhost: string): Promise<void> {
  const plan = planTopology(await loadTopology(SHIPPED_TOPOLOGY));
  const connection = await connectAnyNode(amqpUrlFor(vhost));
  try {
    const channel = await connection.createChannel();
    const report = await applyTopology(channel, plan);
    if (report.conflicts.length > 0) {
      throw new Error(`topology conflicts in ${vhost}: ${report.conflicts.map((c) => c.message).join('; ')}`);
    }
  } finally {
    await connection.close().catch(() => undefined);
  }
  await applyManagement(plan, loadConfig().managementUrl, vhost);
}

/**
 * For a `describe` block: a fresh vhost with the shipped topology applied before its tests and deleted
 * after them (applying takes seconds, so tests of a block share it and keep apart by unique tenants).
 */
export function useTopologyVhost(prefix = 'topo'): { readonly name: string } {
  let name: string | undefined;
  before(async function () {
    this.timeout(60_000);
    name = uniqueName(prefix);
    await createVhost(name);
    await applyShippedTopology(name);
  });
  after(async () => {
    if (name) await deleteVhost(name);
  });
  return {
    get name(): string {
      if (!name) throw new Error('the vhost exists only while the block runs');
      return name;
    },
  };
}

/** A producer user of the shipped topology (e.g. gw-whatsapp) with its password, as a gateway gets it. */
export async function shippedProducer(name: string): Promise<{ name: string; password: string }> {
  const plan = planTopology(await loadTopology(SHIPPED_TOPOLOGY));
  const user = plan.users.find((u) => u.name === name);
  if (!user) throw new Error(`${SHIPPED_TOPOLOGY} declares no producer "${name}"`);
  return { name, password: resolveProducerPassword(user).password };
}
