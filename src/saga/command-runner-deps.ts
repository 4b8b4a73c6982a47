import type { HttpClient } from '../http-client';
import type { CallerOutbox } from './commit-effects';
import type { InlineSink, SagaEngine } from './saga-engine';

/** What a consumer that runs a saga's commands over HTTP (tool calls, webhook attempts) works with. */
export interface CommandRunnerDeps {
  engine: SagaEngine;
  /** The process's pooled client the commands' HTTP calls go through. */
  httpClient: HttpClient;
  /**
   * The consumer's own outbox (its handler `ctx`): what the saga sends in the consumer's transaction is
   * published as soon as that commits. @default none: the relay publishes it
   */
  outbox?: CallerOutbox;
  /**
   * The consumer's reads and commit (`ctx.read`, `ctx.commitWith`): the sagas it starts run inline
   * (`SagaEngine.startInline`), and the replies it delivers too (`SagaEngine.deliverInline`, with `outbox`).
   * @default none: both run in the consumer's transaction
   */
  inline?: Omit<InlineSink, 'tx'>;
}
