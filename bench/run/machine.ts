import { execFileSync } from 'node:child_process';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { Client } from 'pg';
import { loadConfig } from '../../src/config';
import { ManagementClient } from '../../src/topology';

/** Where a benchmark ran: the facts a reader needs to compare figures. */
export interface Machine {
  cores: number;
  cpu: string;
  memoryGiB: number;
  node: string;
  rabbitmq: string;
  postgres: string;
  redis: string;
  date: string;
  /** 1-minute load average when the run started and when it ended. */
  loadBefore: number;
  loadAfter?: number;
}

function quiet(run: () => string): string {
  try {
    return run().trim() || 'unknown';
  } catch {
    return 'unknown';
  }
}

async function rabbitVersion(): Promise<string> {
  try {
    const management = new ManagementClient(loadConfig().managementUrl, '/');
    return (await management.get<{ rabbitmq_version?: string }>('/overview')).rabbitmq_version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

async function postgresVersion(url: string): Promise<string> {
  // The server's own database: the bench database may not exist yet.
  const client = new Client({ connectionString: url.replace(/\/[^/]*$/, '/postgres') });
  try {
    await client.connect();
    const { rows } = await client.query<{ v: string }>("SELECT current_setting('server_version') AS v");
    return rows[0]?.v.split(' ')[0] ?? 'unknown';
  } catch {
    return 'unknown';
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Collects the machine facts (versions are asked of the running services). */
export async function describeMachine(databaseUrl: string): Promise<Machine> {
  return {
    cores: availableParallelism(),
    cpu: cpus()[0]?.model.trim() ?? 'unknown CPU',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    rabbitmq: await rabbitVersion(),
    postgres: await postgresVersion(databaseUrl),
    redis: quiet(
      () =>
        (/redis_version:(\S+)/.exec(execFileSync('redis-cli', ['info', 'server'], { encoding: 'utf8' })) ??
          [])[1] ?? '',
    ),
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    loadBefore: loadavg()[0] as number,
  };
}

/**
 * True when other work already competed for the CPU as the run began (1-minute load above half the
 * cores); the load during the run is the benchmark's own and says nothing.
 */
export function wasLoaded(m: Machine): boolean {
  return m.loadBefore > m.cores * 0.5;
}
