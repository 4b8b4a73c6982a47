import type { MigrationInterface, QueryRunner } from 'typeorm';

// Rows live for seconds: inserted, published or replayed, deleted. The live table stays small while the
// dead rows pile up, and the default trigger (50 dead rows + 20% of the table) follows the table's last
// counted size, which a burst inflates: vacuum on a fixed count of dead rows instead, unthrottled, since
// one pass over a small table is cheap and every scan for the next row walks the dead ones until it runs.
const QUEUES = ['outbox', 'admission_batch', 'session_stash', 'delivery_attempt'];
const QUEUE_SETTINGS = [
  'autovacuum_vacuum_scale_factor = 0',
  'autovacuum_vacuum_threshold = 1000',
  'autovacuum_vacuum_cost_delay = 0',
  'autovacuum_analyze_scale_factor = 0',
  'autovacuum_analyze_threshold = 5000',
];

// One row per key rewritten by every event or step (a saga, a session's cursor or sequence, an endpoint's
// health). Dead versions are a few percent of a large table within minutes: vacuum at 2% rather than 20%,
// and analyze as often, so plans follow the live rows. Free space on each page (fillfactor) lets an update
// that changes no indexed column stay on its page (HOT): no index entries, and the old version is pruned
// by the next reader without waiting for vacuum.
const ROWS_REWRITTEN = [
  'session_cursor',
  'session_sequence',
  'session_outbound_sequence',
  'webhook_endpoint',
];
const REWRITTEN_SETTINGS = [
  'fillfactor = 70',
  'autovacuum_vacuum_scale_factor = 0.02',
  'autovacuum_vacuum_threshold = 200',
  'autovacuum_vacuum_cost_delay = 0',
  'autovacuum_analyze_scale_factor = 0.02',
];
// The saga table also keeps every finished saga, so it grows large: same ratios, a throttled vacuum.
const SAGA_SETTINGS = [
  'autovacuum_vacuum_scale_factor = 0.02',
  'autovacuum_vacuum_threshold = 1000',
  'autovacuum_vacuum_cost_delay = 1',
  'autovacuum_analyze_scale_factor = 0.02',
  'autovacuum_analyze_threshold = 1000',
];

// Written once, read by id, pruned by age. Insert-driven vacuum (Postgres 13+) at 2% keeps the visibility
// map current, so index-only scans skip the heap, and freezes rows in small passes instead of one large
// anti-wraparound pass; the pruner's deletes then trigger a vacuum at 5% of the table.
const LEDGERS = [
  'saga_event',
  'webhook_attempt',
  'consumer_inbox',
  'admitted_event',
  'outbound_event',
  'cron_tick',
];
const LEDGER_SETTINGS = [
  'autovacuum_vacuum_insert_scale_factor = 0.02',
  'autovacuum_vacuum_insert_threshold = 10000',
  'autovacuum_vacuum_scale_factor = 0.05',
  'autovacuum_analyze_scale_factor = 0.05',
];

const GROUPS: Array<{ tables: string[]; settings: string[] }> = [
  { tables: QUEUES, settings: QUEUE_SETTINGS },
  { tables: ROWS_REWRITTEN, settings: REWRITTEN_SETTINGS },
  { tables: ['saga'], settings: SAGA_SETTINGS },
  { tables: LEDGERS, settings: LEDGER_SETTINGS },
];

/**
 * Per-table autovacuum settings for the tables with the most churn: queues, rows rewritten by every event,
 * and the append-only ledgers. The server-wide defaults suit tables that change by a fraction a day; these
 * change by their own size in minutes, and a table vacuumed late costs every query that scans it (a due
 * saga, an outbox row to sweep) the walk over its dead rows and dead index entries. Storage settings only:
 * they take a lock that lets reads and writes go on, and they do nothing where autovacuum is off
 * server-wide (then run VACUUM ANALYZE on these tables on a schedule).
 */
export class ChurnAutovacuum1764011000001 implements MigrationInterface {
  name = 'ChurnAutovacuum1764011000001';

  async up(q: QueryRunner): Promise<void> {
    for (const { tables, settings } of GROUPS) {
      for (const table of tables) await q.query(`ALTER TABLE ${table} SET (${settings.join(', ')})`);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    for (const { tables, settings } of GROUPS) {
      const names = settings.map((s) => s.split(' = ')[0]).join(', ');
      for (const table of tables) await q.query(`ALTER TABLE ${table} RESET (${names})`);
    }
  }
}
