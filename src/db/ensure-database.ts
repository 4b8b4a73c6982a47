import { setTimeout as sleep } from 'node:timers/promises';
import { Client, DatabaseError } from 'pg';
import { formatDuration, hidePasswords } from '../config';
import { errorReason } from '../errors';
import { logger } from '../observability';
import { DatabaseUnreachableError } from './db-errors';

export interface EnsureDatabaseOptions {
  /**
   * How long to keep trying while the server cannot be reached (refused, no answer, still starting up);
   * after it DatabaseUnreachableError is thrown. An answer such as a refused password is thrown at once.
   * @default 0 (one attempt)
   */
  waitMs?: number;
}

const RETRY_PAUSE_MS = 500;
// The server answered but cannot take the connection yet: starting up, or every connection slot taken.
const NOT_YET = new Set(['57P03', '53300']);

/**
 * Creates the database named in `databaseUrl` when it does not exist yet and the role may create it.
 * Returns true when it created one. Throws DatabaseUnreachableError, naming the URL with its password
 * hidden, when the server cannot be reached within `waitMs`.
 */
export async function ensureDatabase(
  databaseUrl: string,
  options: EnsureDatabaseOptions = {},
): Promise<boolean> {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (!name) throw new Error(`WAGGLE_DATABASE_URL names no database: ${url.host}`);
  const waitMs = options.waitMs ?? 0;
  let exists: boolean;
  try {
    exists = await probe(databaseUrl, Date.now() + waitMs);
  } catch (err) {
    if (!unreachable(err)) throw err;
    const within = waitMs > 0 ? ` within ${formatDuration(waitMs)}` : '';
    throw new DatabaseUnreachableError(
      `cannot reach the database at ${hidePasswords(databaseUrl)}${within}: ${errorReason(err)}`,
      { cause: err },
    );
  }
  if (exists) return false;
  url.pathname = '/postgres';
  const admin = new Client({ connectionString: url.toString() });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
    logger({ component: 'db' }).info({ database: name }, 'created database');
    return true;
  } catch (err) {
    if ((err as { code?: string }).code === '42P04') return false; // created meanwhile by another process
    throw err;
  } finally {
    await admin.end();
  }
}

// True when the database answers, false when the server says it does not exist; retries until `deadline`
// while the server cannot be reached at all.
async function probe(databaseUrl: string, deadline: number): Promise<boolean> {
  const waiting = deadline > Date.now();
  for (;;) {
    const client = new Client({
      connectionString: databaseUrl,
      // While waiting, a host that drops packets must not hold one attempt for the OS's TCP timeout.
      connectionTimeoutMillis: waiting ? Math.max(1_000, deadline - Date.now()) : 0,
    });
    try {
      await client.connect();
      return true;
    } catch (err) {
      if (err instanceof DatabaseError && err.code === '3D000') return false; // invalid_catalog_name
      if (!unreachable(err) || Date.now() + RETRY_PAUSE_MS >= deadline) throw err;
    } finally {
      await client.end().catch(() => undefined);
    }
    await sleep(RETRY_PAUSE_MS);
  }
}

// No answer from a server at all, or a server that cannot take a connection yet; anything else it answered.
function unreachable(err: unknown): boolean {
  return !(err instanceof DatabaseError) || NOT_YET.has(err.code ?? '');
}
