import type { DataSource } from 'typeorm';
import {
  QueueConsumer,
  type BrokerConnection,
  type ConfirmedPublisher,
  type TransientPublisher,
} from '../broker';
import { guardPool, poolOf } from '../db';
import { logger } from '../observability';
import { OutboxDispatch } from '../outbox';
import { Pool } from 'pg';
import { leaseGroupName, OrderedProcessor, PartitionLeases } from '../ordering';
import { retryTierQueue } from '../retry';
import {
  ConsumerConfigError,
  type ConsumerDefinition,
  ConsumerMetrics,
  type ConsumerSettings,
  type HandlerServices,
  type MessageProcessor,
  missingQueues,
  UnorderedProcessor,
} from '../consumer';

/** What a consumer runtime needs from the process. */
export interface ConsumerRuntimeDeps {
  db: DataSource;
  broker: BrokerConnection;
  publisher: Pick<ConfirmedPublisher, 'publish'>;
  /** What `ctx.publishTransient` sends through. @default none: transient events are dropped (and counted) */
  transientPublisher?: Pick<TransientPublisher, 'publish'>;
  /**
   * What handlers get through their context (`ctx.sagas`, `ctx.config`, `ctx.agents`), made once per process.
   * @default none: each of them throws when a handler asks for it
   */
  services?: HandlerServices;
  /**
   * The process's dispatch that publishes each run's outbox messages right after its commit.
   * @default one of the runtime's own
   */
  outbox?: OutboxDispatch;
  /** This process, as a partition-lease owner. */
  instanceId: string;
  /**
   * Keeps apart the leases of equally named partition groups on different vhosts sharing one database (the
   * vhost name). @default none
   */
  leaseScope?: string;
  /** Partition leases expire after this long without renewal. @default 15000 */
  leaseTtlMs?: number;
  /** How long giving up a partition may wait for its in-flight messages. @default 10000 */
  releaseTimeoutMs?: number;
  /** How often stashed events nobody drained are looked for. @default 2000 */
  sweepEveryMs?: number;
  /**
   * An ordered session waiting this long for a sequence that never arrives skips it (recorded in
   * session_skip); 0 never skips. @default 600000
   */
  gapTimeoutMs?: number;
}

/**
 * Runs one consumer in this process: consumes its queue (or the partitions it holds leases for), hands each
 * delivery to the ordered or unordered processor and settles it from the outcome.
 */
export class ConsumerRuntime {
  readonly metrics: ConsumerMetrics;
  private readonly processor: MessageProcessor;
  private readonly consumers = new Map<string, QueueConsumer>();
  private readonly pool: Pool;
  // Sends each run's outbox messages right after its commit; the relay only sweeps what it could not send.
  private readonly outbox: OutboxDispatch;
  private leases: PartitionLeases | undefined;
  private leasePool: Pool | undefined;
  private stopDeadline: number | undefined;
  private sweeper: NodeJS.Timeout | undefined;
  private readonly log;

  constructor(
    private readonly deps: ConsumerRuntimeDeps,
    readonly spec: ConsumerSettings,
    definition: ConsumerDefinition,
  ) {
    this.metrics = new ConsumerMetrics(spec.name);
    this.pool = poolOf(deps.db);
    this.log = logger({ component: 'consumer', consumer: spec.name });
    this.outbox = deps.outbox ?? new OutboxDispatch(this.pool, deps.publisher);
    const processorDeps = {
      db: deps.db,
      pool: this.pool,
      publisher: deps.publisher,
      outbox: this.outbox,
      spec,
      definition,
      transient: deps.transientPublisher,
      services: deps.services,
      metrics: this.metrics,
      gapTimeoutMs: deps.gapTimeoutMs ?? 600_000,
    };
    this.processor =
      spec.ordering === 'session'
        ? new OrderedProcessor(processorDeps)
        : new UnorderedProcessor(processorDeps);
  }

  /** Partitions consumed here (partitioned consumers). */
  get partitions(): number[] {
    return this.leases?.partitions ?? [];
  }

  /** Sessions in progress (ordered) or handlers running (unordered). */
  get busy(): number {
    return this.processor.busy;
  }

  /** Checks that every queue it needs exists, then starts consuming. */
  async start(): Promise<void> {
    const spec = this.spec;
    const needed =
      spec.source.kind === 'queue'
        ? [spec.source.queue, spec.parkedQueue]
        : [...spec.source.queues, spec.parkedQueue];
    if (spec.retryMode === 'tiers' && spec.source.kind === 'queue') {
      for (const ms of new Set(spec.retry.backoffMs)) needed.push(retryTierQueue(spec.source.queue, ms));
    }
    const missing = await missingQueues(this.deps.broker, needed);
    if (missing.length > 0) {
      throw new ConsumerConfigError(spec.name, [
        `queue(s) ${missing.map((q) => `"${q}"`).join(', ')} do not exist on the broker (apply the topology first)`,
      ]);
    }
    if (spec.source.kind === 'queue') {
      await this.consume(spec.source.queue);
    } else {
      const queues = spec.source.queues;
      const group = spec.source.group;
      this.leasePool = leasePoolFor(this.deps.db);
      this.leases = new PartitionLeases({
        pool: this.leasePool ?? this.pool,
        group: leaseGroupName(group, this.deps.leaseScope),
        partitions: queues.length,
        instanceId: this.deps.instanceId,
        ttlMs: this.deps.leaseTtlMs ?? 15_000,
        acquire: (p) => {
          this.processor.forgetCursors();
          return this.consume(queues[p] as string);
        },
        release: async (p) => {
          await this.release(queues[p] as string);
          this.processor.forgetCursors();
        },
        onCount: (n) => this.metrics.leases(group, n),
      });
      await this.leases.start();
    }
    // After a reconnect the broker hands out again what was in flight, possibly to other workers.
    this.deps.broker.manager.on('connect', this.onReconnect);
    const every = this.deps.sweepEveryMs ?? 2_000;
    this.sweeper = setInterval(() => {
      this.processor.sweep().catch((err: unknown) => this.log.warn({ err }, 'sweep failed'));
    }, every);
    this.sweeper.unref();
    this.log.info({ source: spec.source, ordering: spec.ordering, onBusy: spec.onBusy }, 'consumer started');
  }

  /**
   * Graceful stop: cancels intake, lets in-flight handlers finish within `deadlineMs`, then aborts them (their
   * transactions roll back and their messages go back to the queue unacknowledged), and releases its leases.
   */
  async stop(deadlineMs: number): Promise<void> {
    clearInterval(this.sweeper);
    this.deps.broker.manager.off('connect', this.onReconnect);
    const deadline = Date.now() + deadlineMs;
    this.stopDeadline = deadline;
    const left = () => Math.max(0, deadline - Date.now());
    const draining = this.processor.stop(Math.max(0, deadlineMs - 500));
    const closing = this.leases
      ? this.leases.stop()
      : Promise.all([...this.consumers.keys()].map((q) => this.release(q, left())));
    await Promise.all([draining, closing]);
    await this.outbox.drain();
    await this.leasePool?.end().catch(() => undefined);
    this.log.info('consumer stopped');
  }

  private readonly onReconnect = (): void => this.processor.forgetCursors();

  private releaseTimeout(): number {
    const normal = this.deps.releaseTimeoutMs ?? 10_000;
    return this.stopDeadline === undefined
      ? normal
      : Math.max(0, Math.min(normal, this.stopDeadline - Date.now()));
  }

  private async consume(queue: string): Promise<void> {
    const consumer = new QueueConsumer(this.deps.broker, {
      queue,
      prefetch: this.spec.prefetch,
      name: `${this.spec.name}:${queue}`,
      deliver: (msg) => this.processor.deliver(msg, queue),
    });
    this.consumers.set(queue, consumer);
    await consumer.started();
  }

  private async release(queue: string, timeoutMs = this.releaseTimeout()): Promise<void> {
    const consumer = this.consumers.get(queue);
    if (!consumer) return;
    this.consumers.delete(queue);
    const { drained } = await consumer.stop(timeoutMs);
    if (!drained)
      this.log.warn({ queue }, 'released with messages still in flight; the broker hands them out again');
  }
}

// Lease renewal gets connections of its own: a pool exhausted by long handler transactions must not let the
// leases of a healthy worker expire.
function leasePoolFor(db: DataSource): Pool | undefined {
  const url = (db.options as { url?: string }).url;
  if (!url) return undefined;
  const pool = new Pool({ connectionString: url, max: 2, application_name: 'waggle:leases' });
  return guardPool(pool, 'leases'); // a dropped connection is replaced; the next tick reconnects
}
