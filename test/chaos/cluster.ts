import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { ManagementClient } from '../../src/topology';
import { REPO_ROOT } from '../support';

const run = promisify(execFile);
const SCRIPT = path.join(REPO_ROOT, 'scripts', 'cluster.sh');

/** The three-node RabbitMQ cluster of scripts/cluster.sh, as a test drives it. */
export interface LocalCluster {
  /** Every node's AMQP URL, comma-separated, as WAGGLE_AMQP_URL takes them. */
  amqpUrl: string;
  /** Every node's management URL, comma-separated, as WAGGLE_MANAGEMENT_URL takes them. */
  managementUrl: string;
  /** kill -9 of node `n` (1-3). */
  killNode(n: number): Promise<void>;
  /** Starts node `n` again and waits until it has rejoined. */
  startNode(n: number): Promise<void>;
  down(): Promise<void>;
}

async function cluster(...args: string[]): Promise<string> {
  const { stdout } = await run('bash', [SCRIPT, ...args], { timeout: 240_000, maxBuffer: 1 << 20 });
  return stdout;
}

/** Brings the cluster up (a no-op for nodes already running) and reads its URLs. */
export async function clusterUp(): Promise<LocalCluster> {
  const lines = (await cluster('up')).split('\n');
  const value = (name: string) => {
    const line = lines.find((l) => l.startsWith(`${name}=`));
    if (!line) throw new Error(`scripts/cluster.sh up printed no ${name}`);
    return line.slice(name.length + 1);
  };
  return {
    amqpUrl: value('WAGGLE_AMQP_URL'),
    managementUrl: value('WAGGLE_MANAGEMENT_URL'),
    killNode: async (n) => void (await cluster('kill-node', String(n))),
    startNode: async (n) => void (await cluster('start-node', String(n))),
    down: async () => void (await cluster('down')),
  };
}

/** Where a vhost's quorum queues stand: each queue's leader and members. */
export interface QuorumPlacement {
  name: string;
  leader: string;
  members: string[];
}

/** The quorum queues of `vhost` with their leader and member nodes, from the management API. */
export async function quorumPlacement(managementUrl: string, vhost: string): Promise<QuorumPlacement[]> {
  const client = new ManagementClient(managementUrl, vhost);
  const queues = await client.get<Array<{ name: string; type: string; leader?: string; members?: string[] }>>(
    `/queues/${client.vhostPath}?columns=name,type,leader,members`,
  );
  return queues
    .filter((q) => q.type === 'quorum')
    .map((q) => ({ name: q.name, leader: q.leader ?? '', members: q.members ?? [] }));
}

/** The node number (1-3) of `waggle-cN@host` that leads the most of `placement`'s queues. */
export function busiestLeader(placement: QuorumPlacement[]): number {
  const counts = new Map<number, number>();
  for (const q of placement) {
    const n = Number(/^waggle-c(\d)@/.exec(q.leader)?.[1] ?? 0);
    if (n) counts.set(n, (counts.get(n) ?? 0) + 1);
  }
  const [best] = [...counts.entries()].sort((a, b) => b[1] - a[1]);
  if (!best) throw new Error('no quorum queue has a leader on a cluster node');
  return best[0];
}
