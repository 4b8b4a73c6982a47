import type { Options } from 'amqplib';
import type { ConfirmedPublisher } from '../broker';
import { RoundLoop, type PgSql } from '../db';
import {
  contextOf,
  counter,
  gauge,
  histogram,
  inSpan,
  logger,
  MESSAGING,
  traceparentOf,
} from '../observability';
import { OUTBOX_CHANNEL } from './outbox-writer';

export interface OutboxRelayOptions {
  pool: PgSql & { connect(): Promise<PgSql & { release(err?: Error | boolean): void }> };
  publisher: Pick<ConfirmedPublisher, 'publish'>;
  /** For the LISTEN connection (a pooled client cannot hold a LISTEN). */
  databaseUrl: string;
  /** Rows claimed per round. @default 500 */
  batchSize?: number;
  /** Look for rows this often even without a notification. @default 1000 */
  pollMs?: number;
  /** Relay only these tenants' messages (a relay dedicated to large tenants). @default every message */
  tenants?: string[];
}

interface OutboxRow {
  id: string;
  order_key: string;
  exchange: string;
  routing_key: string;
  content: Buffer;
  properties: Options.Publish;
  created_at: Date;
}

const publishedTotal = counter('waggle_outbox_published_total', 'Outbox messages published and confirmed');
const failedTotal = counter(
  'waggle_outbox_publish_failed_total',
  'Outbox publishes refused or not confirmed',
);
const lagGauge = gauge('waggle_outbox_lag_seconds', 'Age of the oldest message still waiting in the outbox');
const lagHistogram = histogram(
  'waggle_outbox_delivery_lag_seconds',
  'Time from an outbox row being written to its publish being confirmed',
  [],
  [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
);

// Claims a batch with SKIP LOCKED (rows their writer is publishing itself wait for their sweep_after), minus rows of an order key that has an earlier row this relay did not
// claim (another relay holds it): those wait, so one key's messages always go out in order.
const claimQuery = (tenants: boolean) => `
  WITH claimed AS (
    SELECT id FROM outbox
    WHERE (sweep_after IS NULL OR sweep_after <= now()) ${tenants ? 'AND tenant = ANY($2::text[])' : ''}
    ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED
  )
  SELECT o.id, o.order_key, o.exchange, o.routing_key, o.content, o.properties, o.created_at
  FROM outbox o JOIN claimed c ON c.id = o.id
  WHERE NOT EXISTS (
    SELECT 1 FROM outbox p
    WHERE p.order_key = o.order_key AND p.id < o.id AND p.id NOT IN (SELECT id FROM claimed))
  ORDER BY o.id`;

/**
 * Publishes committed outbox rows with broker confirms and deletes them once confirmed. Messages of one order
 * key go out one after another in the order they were written; different keys go out concurrently. Several
 * relays may run at once (rows are claimed FOR UPDATE SKIP LOCKED). A NOTIFY on commit wakes the relay, so a
 * message leaves within milliseconds; a slow poll covers lost notifications.
 */
export class OutboxRelay extends RoundLoop {
  private readonly batchSize: number;
  private readonly pollMs: number;
  private lastLagSample = 0;
  private readonly log = logger({ component: 'outbox-relay' });

  constructor(private readonly options: OutboxRelayOptions) {
    super({
      retryMs: options.pollMs ?? 1_000,
      what: 'outbox round',
      component: 'outbox-relay',
      wakeOn: { databaseUrl: options.databaseUrl, channel: OUTBOX_CHANNEL },
      stopDeadlineMs: 5_000,
    });
    this.batchSize = options.batchSize ?? 500;
    this.pollMs = options.pollMs ?? 1_000;
  }

  /** Publishes one batch; returns how many messages went out. */
  async relayOnce(): Promise<number> {
    const client = await this.options.pool.connect();
    let published: OutboxRow[];
    try {
      await client.query('BEGIN');
      const { tenants } = this.options;
      const { rows } = await client.query<OutboxRow>(
        claimQuery(tenants !== undefined),
        tenants ? [this.batchSize, tenants] : [this.batchSize],
      );
      published = await this.publishInOrder(rows);
      if (published.length > 0) {
        await client.query('DELETE FROM outbox WHERE id = ANY($1::bigint[])', [published.map((r) => r.id)]);
      }
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      client.release(err instanceof Error ? err : true);
      throw err;
    }
    // Released only here, after the catch: a statement must never reach a client another caller holds now.
    client.release();
    const now = Date.now();
    for (const r of published) lagHistogram.observe((now - r.created_at.getTime()) / 1000);
    publishedTotal.inc(published.length);
    return published.length;
  }

  /** Age in seconds of the oldest message waiting (0 when the outbox is empty). */
  async lagSeconds(): Promise<number> {
    const { tenants } = this.options;
    const { rows } = await this.options.pool.query<{ lag: number | null }>(
      `SELECT extract(epoch FROM now() - created_at)::float8 AS lag FROM outbox
       ${tenants ? 'WHERE tenant = ANY($1::text[])' : ''} ORDER BY id LIMIT 1`,
      tenants ? [tenants] : [],
    );
    return Math.max(0, rows[0]?.lag ?? 0);
  }

  private async publishInOrder(rows: OutboxRow[]): Promise<OutboxRow[]> {
    const byKey = new Map<string, OutboxRow[]>();
    for (const r of rows) {
      const list = byKey.get(r.order_key) ?? [];
      list.push(r);
      byKey.set(r.order_key, list);
    }
    const published: OutboxRow[] = [];
    await Promise.all(
      [...byKey.values()].map(async (list) => {
        for (const r of list) {
          try {
            await this.relayRow(r);
            published.push(r);
          } catch (err) {
            // The rest of this key waits for the next round, behind the row that failed.
            failedTotal.inc();
            this.log.warn({ err, outboxId: r.id, exchange: r.exchange }, 'outbox publish failed; will retry');
            return;
          }
        }
      }),
    );
    return published;
  }

  // A full batch goes on at once; otherwise the relay waits for a NOTIFY or the next poll.
  // One row, as an `outbox relay` span under the trace context its writer gave it; the publish is its child.
  private relayRow(r: OutboxRow): Promise<void> {
    const headers = r.properties.headers as Record<string, unknown> | undefined;
    return inSpan(
      'outbox relay',
      {},
      async (span) => {
        const traceparent = traceparentOf(span);
        if (span.isRecording()) {
          span.setAttributes({
            'waggle.outbox.id': String(r.id),
            'waggle.outbox.lag_ms': Date.now() - r.created_at.getTime(),
            [MESSAGING.system]: 'rabbitmq',
            [MESSAGING.destination]: r.exchange || '(default)',
          });
        }
        const properties = traceparent
          ? { ...r.properties, headers: { ...headers, traceparent } }
          : r.properties;
        await this.options.publisher.publish(r.exchange, r.routing_key, r.content, properties);
      },
      contextOf(headers?.traceparent),
    );
  }

  protected override async round(): Promise<number> {
    try {
      const sent = await this.relayOnce();
      return sent < this.batchSize ? this.pollMs : 0;
    } finally {
      await this.sampleLag();
    }
  }

  private async sampleLag(): Promise<void> {
    if (Date.now() - this.lastLagSample < this.pollMs) return;
    this.lastLagSample = Date.now();
    await this.lagSeconds().then(
      (lag) => lagGauge.set(lag),
      () => undefined,
    );
  }
}
