import type { DataSource } from 'typeorm';
import type { AdmittedEvent } from '../envelope';
import { counter, logger } from '../observability';
import { PeriodicRound } from './periodic-round';
import type { Admission } from './admission';

export interface RepublisherOptions {
  /** An event still unpublished this long after admission is sent again. @default 10000 */
  afterMs?: number;
  /** How often to look. @default 2000 */
  intervalMs?: number;
  /** Most events claimed per round. @default 500 */
  batch?: number;
}

const republished = counter(
  'waggle_admission_republished_total',
  'Admitted events published again because their first publish was not confirmed',
);

/**
 * The outbox side of admission: finds events recorded with a sequence whose publish was never confirmed
 * (the process died between commit and confirm, or the broker went away) and publishes them again, in
 * sequence order per session. Several ingress processes can run it: each claims rows with a short lease
 * (FOR UPDATE SKIP LOCKED), and a rare double publish is harmless because consumers deduplicate by id.
 */
export class Republisher {
  private readonly rounds: PeriodicRound;
  private readonly afterMs: number;
  private readonly batch: number;

  constructor(
    private readonly db: DataSource,
    private readonly admission: Admission,
    options: RepublisherOptions = {},
  ) {
    this.afterMs = options.afterMs ?? 10_000;
    this.batch = options.batch ?? 500;
    this.rounds = new PeriodicRound(options.intervalMs ?? 2_000, () => this.runOnce(), 're-publish round');
  }

  start(): void {
    this.rounds.start();
  }

  async stop(): Promise<void> {
    await this.rounds.stop();
  }

  /** One round: claims up to `batch` stale unpublished events and publishes them; returns how many went out. */
  async runOnce(): Promise<number> {
    const leaseMs = Math.max(this.afterMs, 30_000);
    const rows = (await this.db.query(
      `UPDATE admitted_event a SET claimed_until = now() + make_interval(secs => $3::float8 / 1000)
         FROM (SELECT tenant, event_id FROM admitted_event
                WHERE published_at IS NULL
                  AND created_at < now() - make_interval(secs => $1::float8 / 1000)
                  AND (claimed_until IS NULL OR claimed_until < now())
                ORDER BY created_at LIMIT $2
                FOR UPDATE SKIP LOCKED) c
        WHERE a.tenant = c.tenant AND a.event_id = c.event_id
        RETURNING a.sequence, a.envelope`,
      [this.afterMs, this.batch, leaseMs],
    )) as [Array<{ sequence: string; envelope: AdmittedEvent | null }>, number];
    const events = rows[0]
      .filter((r) => r.envelope !== null)
      .map((r) => ({ ...(r.envelope as AdmittedEvent), sequence: Number(r.sequence) }))
      .sort(
        (a, b) =>
          a.tenantid.localeCompare(b.tenantid) ||
          a.sessionid.localeCompare(b.sessionid) ||
          a.sequence - b.sequence,
      );
    let sent = 0;
    for (const event of events) {
      try {
        await this.admission.publish(event);
        sent += 1;
        republished.inc();
      } catch (err) {
        // Still unpublished: the next round after the lease tries again.
        logger({ component: 'admission', tenant: event.tenantid, messageId: event.id }).warn(
          { err },
          're-publish failed',
        );
        break;
      }
    }
    return sent;
  }
}
