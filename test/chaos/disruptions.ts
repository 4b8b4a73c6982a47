import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { connectAnyNode } from '../../src/broker';
import { loadConfig } from '../../src/config';
import { ManagementClient } from '../../src/topology';
import { eventually, TEST_DATABASE_URL } from '../support';

const run = promisify(execFile);

/** True when `command` is on PATH (a broker or database run in containers has no rabbitmqctl/pg_ctlcluster). */
export function commandExists(command: string): boolean {
  return (process.env.PATH ?? '').split(':').some((dir) => dir && existsSync(`${dir}/${command}`));
}

/** One injected failure and the step that undoes it (always run, even when the injection failed halfway). */
export interface Disruption {
  name: string;
  /** The command the injection needs on this machine, if any. */
  needs?: string;
  inject(): Promise<void>;
  undo(): Promise<void>;
}

/** Resolves once the broker accepts AMQP connections on 5672 and the management API answers on 15672. */
export async function brokerAnswers(timeoutMs = 60_000): Promise<void> {
  const config = loadConfig();
  await eventually(
    async () => {
      const c = await connectAnyNode(config.amqpUrl);
      await c.close();
      return true;
    },
    'AMQP on 5672',
    { timeoutMs, everyMs: 250, retryErrors: true },
  );
  const management = new ManagementClient(config.managementUrl, '/');
  await eventually(async () => (await management.get('/overview')) !== undefined, 'management API on 15672', {
    timeoutMs,
    everyMs: 250,
    retryErrors: true,
  });
}

/** Resolves once PostgreSQL accepts connections and answers a query. */
export async function postgresAnswers(timeoutMs = 60_000): Promise<void> {
  await eventually(
    async () => {
      const client = new Client({ connectionString: TEST_DATABASE_URL });
      try {
        await client.connect();
        await client.query('SELECT 1');
        return true;
      } finally {
        await client.end().catch(() => undefined);
      }
    },
    'PostgreSQL accepting connections',
    { timeoutMs, everyMs: 250, retryErrors: true },
  );
}

/** `rabbitmqctl stop_app`, a pause, then `start_app`; undone by `start_app` and waiting for both ports. */
export function brokerStopStart(pauseMs = 3_000): Disruption {
  return {
    name: 'rabbitmqctl stop_app && start_app',
    needs: 'rabbitmqctl',
    async inject() {
      await run('rabbitmqctl', ['stop_app']);
      await new Promise((r) => setTimeout(r, pauseMs));
      await run('rabbitmqctl', ['start_app']);
      await brokerAnswers();
    },
    async undo() {
      await run('rabbitmqctl', ['start_app']).catch(() => undefined);
      await brokerAnswers();
    },
  };
}

/**
 * `rabbitmqctl close_all_connections` limited to the run's vhost: every connection of the pipeline (workers
 * and the publisher) is cut, while other users of the broker keep theirs. Nothing to undo but to check the
 * broker still answers.
 */
export function closeAllConnections(vhost: string): Disruption {
  return {
    name: 'rabbitmqctl close_all_connections',
    needs: 'rabbitmqctl',
    async inject() {
      await run('rabbitmqctl', ['close_all_connections', '-p', vhost, 'chaos test']);
    },
    undo: () => brokerAnswers(),
  };
}

/** The installed PostgreSQL cluster version (the one directory under /etc/postgresql). */
function clusterVersion(): string {
  const versions = readdirSync('/etc/postgresql').sort((a, b) => parseFloat(a) - parseFloat(b));
  const v = versions[versions.length - 1];
  if (!v) throw new Error('no PostgreSQL cluster under /etc/postgresql');
  return v;
}

/** `pg_ctlcluster <version> main restart`; undone by starting the cluster if it is down and waiting for it. */
export function postgresRestart(): Disruption {
  const ctl = (action: string) =>
    run('pg_ctlcluster', ['--skip-systemctl-redirect', clusterVersion(), 'main', action]);
  return {
    name: 'PostgreSQL restart',
    needs: 'pg_ctlcluster',
    async inject() {
      await ctl('restart');
      await postgresAnswers();
    },
    async undo() {
      await postgresAnswers(5_000).catch(() => ctl('start').catch(() => undefined));
      await postgresAnswers();
    },
  };
}
