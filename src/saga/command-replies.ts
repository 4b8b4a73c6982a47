import type { Queryable } from '../db';
import type { CommandRunnerDeps } from './command-runner-deps';
import type { SagaMessage } from './define-saga';
import type { SagaRecord } from './saga-record';
import type { SagaTry } from './saga-engine';

/**
 * The saga a command is for, while it still waits for this try (undefined for a repeated or overtaken
 * command, which must not act again). On the fast path (`deps.inline`) it is read outside any transaction,
 * so none is open while the command's call works; otherwise in `tx`.
 */
export function sagaAwaitingCommand(
  deps: CommandRunnerDeps,
  sagaId: string,
  attempt: SagaTry,
  tx: Queryable,
): Promise<SagaRecord | undefined> {
  return deps.engine.awaitingTry(sagaId, attempt, deps.inline?.read ?? tx);
}

/**
 * Replies to `saga` (as `sagaAwaitingCommand` read it) with the command's outcome: on the fast path it moves
 * the saga in memory and joins the consumer's commit, version-checked (a conflict runs the command's run
 * again); otherwise in `tx`, what the saga sends going to `deps.outbox`.
 */
export async function replyToCommand(
  deps: CommandRunnerDeps,
  saga: SagaRecord,
  message: SagaMessage,
  tx: Queryable,
): Promise<void> {
  const { engine, inline, outbox } = deps;
  if (inline && outbox) await engine.deliverInline(saga, message, { tx, ...inline }, outbox);
  else await engine.deliver(saga.id, message, tx, outbox);
}
