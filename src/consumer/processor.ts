import type { ConsumeMessage } from 'amqplib';
import type { Pool, QueryResultRow } from 'pg';
import type { DataSource } from 'typeorm';
import type { ConfirmedPublisher, Settlement, TransientPublisher } from '../broker';
import type { OutboxDispatch } from '../outbox';
import type { ConsumerMetrics } from './consumer-metrics';
import type { ConsumerSettings } from './consumer-settings';
import type { ConsumerDefinition } from './define-consumer';
import type { HandlerServices } from './handler-services';
import { HandlerTransaction } from './handler-transaction';

/** What a processor needs from the process. */
export interface ProcessorDeps {
  db: DataSource;
  pool: Pool;
  publisher: Pick<ConfirmedPublisher, 'publish'>;
  spec: ConsumerSettings;
  definition: ConsumerDefinition;
  metrics: ConsumerMetrics;
  /** Where `ctx.publishTransient` sends; without it transient events are dropped (and counted). */
  transient?: Pick<TransientPublisher, 'publish'>;
  /** What handlers get through `ctx.sagas`, `ctx.config` and `ctx.agents`. */
  services?: HandlerServices;
  /** Publishes a run's outbox messages right after its commit; without it the relay sends them. */
  outbox?: OutboxDispatch;
  /** Ordered: how long a session waits for a missing sequence before skipping it; 0 never. @default 0 */
  gapTimeoutMs?: number;
}

/** Turns deliveries into handler runs and says how each delivery is settled. */
export interface MessageProcessor {
  /** Handles one delivery from `queue`; resolves once it may be settled. */
  deliver(msg: ConsumeMessage, queue: string): Promise<Settlement>;
  /** Takes no more work; lets running handlers finish for `deadlineMs`, then aborts them. */
  stop(deadlineMs: number): Promise<void>;
  /** Periodic housekeeping (ordered: run stashed events nobody drained). */
  sweep(): Promise<void>;
  /** Sessions in progress (ordered) or handlers running (unordered). */
  readonly busy: number;
  /** Drops what this process believes about other processes' progress (partitions moved, reconnected). */
  forgetCursors(): void;
}

/** How long to wait before trying again after the database or broker failed under a message. */
export const INFRA_RETRY_MS = 1_000;

/**
 * How long a lane waits before deciding its events again once the session's cursor has moved under its run
 * several times in a row (another worker is moving the session): it lets that worker get ahead, not spin.
 */
export const CURSOR_MOVED_PAUSE_MS = 50;

/** Resolves after `ms` or as soon as `signal` aborts; true when it waited the whole time. */
export function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Begins a handler transaction; `first` (plain SQL text) runs in BEGIN's round trip. */
export function beginTransaction<R extends QueryResultRow = QueryResultRow>(
  deps: Pick<ProcessorDeps, 'db' | 'pool'>,
  first?: string,
): Promise<{ tx: HandlerTransaction; rows: R[] }> {
  return HandlerTransaction.begin<R>(deps.db, deps.pool, first);
}

/** How often the old inbox rows and delivery counts are pruned. */
export const HOUSEKEEPING_EVERY_MS = 10 * 60_000;
/** Inbox rows kept this long: a redelivery later than this would run again. */
export const INBOX_RETENTION = '7 days';
/** Delivery counts of messages not seen for this long are forgotten. */
export const DELIVERY_COUNT_RETENTION_MS = 24 * 3_600_000;
