import { Client, type Pool } from 'pg';
import { watchStatements } from '../../bench/lib/statement-counter';
import { autoTeardown } from './teardown';

/** The SQL a pool's clients sent, as a test reads it. */
export interface StatementLog {
  /** Every statement's text since the log was attached, in the order sent. */
  texts(): string[];
}

/**
 * Records the text of every statement the clients of `pool` send from now on, whoever sends them
 * (`pool.query` or a transaction's client), so a test can check what a flow's transactions contain.
 */
export function recordStatements(pool: Pool): StatementLog {
  const texts: string[] = [];
  autoTeardown(watchStatements(pool, (sql) => texts.push(sql)));
  return { texts: () => [...texts] };
}

/** Listens on `channels` of the database at `url` and collects every notification that arrives. */
export async function listenTo(url: string, channels: string[]): Promise<() => string[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  autoTeardown(() => client.end().catch(() => undefined));
  const heard: string[] = [];
  client.on('notification', (n) => heard.push(`${n.channel}:${n.payload ?? ''}`));
  for (const channel of channels) await client.query(`LISTEN ${channel}`);
  return () => [...heard];
}
