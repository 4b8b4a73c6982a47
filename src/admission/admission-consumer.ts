import type { ConsumeMessage } from 'amqplib';
import { QueueConsumer, type BrokerConnection, type ConfirmedPublisher, type Settlement } from '../broker';
import { fromAmqpMessage, HEADERS, isTraceparent, routingKeyOf } from '../envelope';
import { errorKind } from '../errors';
import { counter, logger } from '../observability';
import { describeFailure, parkMessage, sourceOf } from '../retry';
import type { Admission } from './admission';
import { EventInvalidError } from './admission-errors';
import { checkEvent } from './event-check';
import type { EventSchemas } from './event-schemas';
import type { TenantDirectory } from '../tenants';

/** The queue external AMQP producers' events arrive on, and where refused ones are parked. */
export const ADMISSION_QUEUE = 'waggle.admission';
export const ADMISSION_PARKED_QUEUE = 'waggle.admission.parked';

export interface AdmissionConsumerOptions {
  connection: BrokerConnection;
  publisher: ConfirmedPublisher;
  admission: Admission;
  schemas: EventSchemas;
  tenants: TenantDirectory;
  /** @default 'waggle.admission' */
  queue?: string;
  /** @default 'waggle.admission.parked' */
  parkedQueue?: string;
  /** @default 200 */
  prefetch?: number;
  /** Pause before a message that failed for a passing reason (database, broker) is handed back. @default 1000 */
  retryDelayMs?: number;
}

const parked = counter('waggle_admission_parked_total', 'AMQP admissions parked as invalid', ['code']);

/**
 * Admits events that gateways publish over AMQP into `waggle.admission`, with exactly the HTTP checks:
 * envelope and header consistency, routing key = `<tenantid>.<channel>.<type>` (the broker has already
 * checked the key against the producer's topic permissions), tenant exists and is enabled, the type's
 * schema, dedup and sequence. An invalid message is parked at once with the reason, never retried; a
 * passing failure (database or broker away) hands the message back after a pause.
 *
 * Messages go to the ledger in delivery order, so one producer's events of a session keep their order.
 */
export class AdmissionConsumer {
  private readonly consumer: QueueConsumer;
  private readonly queue: string;
  private readonly parkedQueue: string;
  private readonly retryDelayMs: number;
  // Each delivery reaches the ledger only after the one before it did (a tenant lookup must not reorder).
  private intake: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: AdmissionConsumerOptions) {
    this.queue = options.queue ?? ADMISSION_QUEUE;
    this.parkedQueue = options.parkedQueue ?? ADMISSION_PARKED_QUEUE;
    this.retryDelayMs = options.retryDelayMs ?? 1_000;
    this.consumer = new QueueConsumer(options.connection, {
      queue: this.queue,
      prefetch: options.prefetch ?? 200,
      name: `admission:${this.queue}`,
      deliver: (msg) => this.deliver(msg),
    });
  }

  /** Resolves once the consumer is attached to its queue. */
  async started(): Promise<void> {
    await this.consumer.started();
  }

  async stop(deadlineMs: number): Promise<void> {
    await this.consumer.stop(deadlineMs);
  }

  private async deliver(msg: ConsumeMessage): Promise<Settlement> {
    const submitted = this.intake.then(() => this.submit(msg));
    this.intake = submitted.catch(() => undefined);
    try {
      const { admitted } = await submitted;
      await admitted;
      return 'ack';
    } catch (err) {
      return this.settleFailure(msg, err);
    }
  }

  // Resolves as soon as the event is queued for the ledger; `admitted` settles when it is published.
  private async submit(msg: ConsumeMessage): Promise<{ admitted: Promise<unknown> }> {
    const { admission, schemas, tenants } = this.options;
    const envelope = fromAmqpMessage(msg);
    const expectedKey = routingKeyOf(envelope);
    if (msg.fields.routingKey !== expectedKey) {
      throw new EventInvalidError([
        {
          pointer: 'routing key',
          detail: `"${msg.fields.routingKey}" must be "${expectedKey}" (<tenantid>.<channel>.<type> of the body)`,
        },
      ]);
    }
    await tenants.require(envelope.tenantid);
    const event = checkEvent(envelope, { tenant: envelope.tenantid }, schemas);
    // The publisher's send span (the header) is the admission's parent, else the event's own context.
    const hop = msg.properties.headers?.[HEADERS.traceparent] as unknown;
    const parent = typeof hop === 'string' && isTraceparent(hop) ? hop : envelope.traceparent;
    return { admitted: admission.admitChecked(event, 'amqp', parent) };
  }

  private async settleFailure(msg: ConsumeMessage, err: unknown): Promise<Settlement> {
    const log = logger({
      component: 'admission',
      queue: this.queue,
      messageId: msg.properties.messageId as string | undefined,
      correlationId: msg.properties.correlationId as string | undefined,
    });
    if (errorKind(err) === 'invalid-input') {
      try {
        await parkMessage(this.options.publisher, {
          message: sourceOf(msg, this.queue),
          parkedQueue: this.parkedQueue,
          consumer: 'admission',
          failure: describeFailure(err),
          attempts: 1,
          violations: (err as { violations?: unknown[] }).violations,
        });
        parked.inc({ code: (err as { code?: string }).code ?? 'UNKNOWN' });
        log.warn({ err: (err as Error).message }, 'admission refused: parked');
        return 'ack';
      } catch (parkErr) {
        log.warn({ err: parkErr }, 'could not park a refused message; handing it back');
      }
    } else {
      log.warn({ err }, 'admission failed for a passing reason; handing the message back');
    }
    await new Promise((resolve) => setTimeout(resolve, this.retryDelayMs));
    return 'requeue';
  }
}
