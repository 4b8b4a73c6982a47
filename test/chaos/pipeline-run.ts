import type { DataSource } from 'typeorm';
import { CONSUMER_TOPOLOGY, spawnWaggle, testEnv, uniqueName, waitForOutput, type Spawned } from '../support';
import { clearFenceState, consumerScene } from '../integration/consumer/harness';

/**
 * One chaos run: a fresh vhost with the consumer test topology (events → turns, 8 partitions), an effects
 * table the ordered `turn-effects` handler writes in its transaction, a tenant and `waggle start --roles
 * workers` processes. Everything is removed after the test.
 */
export interface PipelineRun {
  vhost: string;
  amqpUrl: string;
  db: DataSource;
  table: string;
  tenant: string;
  sessions: string[];
  workers: Spawned[];
  /** Starts one more worker process and waits until it is up. */
  spawnWorker(): Promise<Spawned>;
  /** Effect rows written so far (0 while the database cannot answer). */
  handled(): Promise<number>;
}

/**
 * Sets up a run over `sessionCount` sessions, with `failRate` random handler failures in the workers and,
 * with `thinkMs` ([min, max]), handlers that first wait like an agent thinking.
 */
export async function pipelineRun(
  sessionCount: number,
  failRate = 0,
  thinkMs: [number, number] = [0, 0],
): Promise<PipelineRun> {
  const { vhost, amqpUrl, db, table } = await consumerScene();
  await clearFenceState(db, 'turn-effects');
  const tenant = uniqueName('chaos');
  const env = testEnv({
    WAGGLE_AMQP_URL: amqpUrl,
    WAGGLE_TOPOLOGY_FILE: CONSUMER_TOPOLOGY,
    WAGGLE_LEASE_TTL: '3s',
    EFFECTS_TABLE: table,
    EFFECTS_TENANT: tenant,
    FAIL_RATE: String(failRate),
    THINK_MS: thinkMs.join('-'),
  });
  const run: PipelineRun = {
    vhost,
    amqpUrl,
    db,
    table,
    tenant,
    sessions: Array.from({ length: sessionCount }, (_, i) => `s${i}`),
    workers: [],
    async spawnWorker() {
      const worker = spawnWaggle(['start', '--roles', 'workers'], env);
      await waitForOutput(worker, /waggle is up/, 30_000);
      run.workers.push(worker);
      return worker;
    },
    async handled() {
      try {
        const [row] = await db.query(`SELECT count(*)::int AS n FROM ${table}`);
        return (row as { n: number }).n;
      } catch {
        return 0;
      }
    },
  };
  return run;
}
