import type { DataSource } from 'typeorm';
import { PeriodicRounds } from '../db';
import type { AdmittedEvent } from '../envelope';
import { counter, logger } from '../observability';
import type { Admission } from './admission';

export interface RepublisherOptions {
  /** An event still unpublished this long after admission is sent again. @default 10000 */
  afterMs?: number;
  /** How often to look. @default 2000 */
  intervalMs?: number;
  /** Most admission batches (outbox rows, each up to one statement's events) claimed per round. @default 20 */
  batch?: number;
}

const republished = counter(
  'waggle_admission_republished_total',
  'Admitted events published again because their first publish was not confirmed',
);

/**
 * The outbox side of admission: finds admission batches whose publishes were not all confirmed (the
 * process died between commit and confirm, or the broker went away) and publishes their events again, in
 * sequence order per session. Several ingress processes can run it: each claims batch rows with a short
 * lease (FOR UPDATE SKIP LOCKED). Events of such a batch that did reach the broker go out twice; consumers
 * drop the copy by id.
 */
export class Republisher extends PeriodicRounds {
  private readonly afterMs: number;
  private readonly batch: number;
  /** How long a claimed batch row stays claimed (at least 30 s). */
  private readonly leaseMs: number;

  constructor(
    private readonly db: DataSource,
    private readonly admission: Admission,
    options: RepublisherOptions = {},
  ) {
    super(options.intervalMs ?? 2_000, 're-publish round', 'admission');
    this.afterMs = options.afterMs ?? 10_000;
    this.batch = options.batch ?? 20;
    this.leaseMs = Math.max(this.afterMs, 30_000);
  }

  /**
   * One round: claims up to `batch` stale outbox rows (admission batches not fully confirmed) and publishes
   * their events, in sequence order per session; a row is deleted once all its events went out. Returns
   * how many events were published.
   */
  override async runOnce(): Promise<number> {
    const rows = (await this.db.query(
      `WITH claimed AS (
         UPDATE admission_batch b SET claimed_until = now() + make_interval(secs => $3::float8 / 1000)
           FROM (SELECT id FROM admission_batch
                  WHERE created_at < now() - make_interval(secs => $1::float8 / 1000)
                    AND (claimed_until IS NULL OR claimed_until < now())
                  ORDER BY id LIMIT $2
                  FOR UPDATE SKIP LOCKED) c
          WHERE b.id = c.id
          RETURNING b.id, b.envelopes
       )
       SELECT claimed.id::text AS batch, ev.v AS envelope, ev.sequence
         FROM claimed
         LEFT JOIN LATERAL (
           SELECT x.v, a.sequence
             FROM json_to_recordset(claimed.envelopes) AS x(t text, e text, o text, v json)
             JOIN admitted_event a ON a.tenant = x.t AND a.event_id = x.e AND a.source = coalesce(x.o, '')
                                  AND a.batch_id = claimed.id
         ) ev ON true`,
      [this.afterMs, this.batch, this.leaseMs],
    )) as Array<{ batch: string; envelope: AdmittedEvent | null; sequence: string | null }>;
    const events = rows
      .filter((r) => r.envelope !== null)
      .map((r) => ({
        batch: r.batch,
        event: { ...(r.envelope as AdmittedEvent), sequence: Number(r.sequence) },
      }))
      .sort(
        (a, b) =>
          a.event.tenantid.localeCompare(b.event.tenantid) ||
          a.event.sessionid.localeCompare(b.event.sessionid) ||
          a.event.sequence - b.event.sequence,
      );
    // A batch with an event not sent stays: the next round after the lease sends it again.
    const unsent = new Set<string>();
    let sent = 0;
    for (const { batch, event } of events) {
      if (unsent.size > 0) {
        unsent.add(batch);
        continue;
      }
      try {
        await this.admission.publish(event);
        sent += 1;
        republished.inc();
      } catch (err) {
        unsent.add(batch);
        logger({ component: 'admission', tenant: event.tenantid, messageId: event.id }).warn(
          { err },
          're-publish failed',
        );
      }
    }
    const done = [...new Set(rows.map((r) => r.batch))].filter((b) => !unsent.has(b));
    if (done.length > 0)
      await this.db.query('DELETE FROM admission_batch WHERE id = ANY($1::bigint[])', [done]);
    return sent;
  }
}
