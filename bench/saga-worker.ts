/**
 * A second process of the saga bench's platform, as a deployment scales a role out: runs the consumers
 * named in its arguments on the bench vhost and database.
 *
 *   node --import tsx bench/saga-worker.ts <amqp url> <database url> <consumer>...
 *
 * Prints `ready` once consuming. Answers each `count` line on stdin with `count <n>`: the SQL statements
 * its pieces have sent. Stops on SIGTERM.
 */
import { createInterface } from 'node:readline';
import { createDataSource, poolOf } from '../src/db';
import { configureLogger } from '../src/observability';
import { countStatements } from './lib/statement-counter';
import { startSagaPieces, type FlowConsumer } from './saga-pieces';

async function main(): Promise<void> {
  const [amqpUrl, databaseUrl, ...consumers] = process.argv.slice(2);
  if (!amqpUrl || !databaseUrl || consumers.length === 0)
    throw new Error('usage: saga-worker.ts <amqp url> <database url> <consumer>...');
  configureLogger({ level: 'error' });
  const db = createDataSource({ url: databaseUrl, applicationName: 'waggle-bench-worker', poolSize: 20 });
  await db.initialize();
  const pool = poolOf(db);
  const counter = countStatements(pool);
  const pieces = await startSagaPieces(
    { name: 'bench-worker', amqpUrl, databaseUrl, db, pool },
    { consumers: consumers as FlowConsumer[], relayAndTimers: false },
  );
  createInterface({ input: process.stdin }).on('line', (line) => {
    if (line.trim() === 'count') process.stdout.write(`count ${counter.count()}\n`);
  });
  process.once('SIGTERM', () => {
    void pieces
      .stop()
      .then(() => db.destroy())
      .then(() => process.exit(0));
  });
  process.stdout.write('ready\n');
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
