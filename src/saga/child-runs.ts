import { rowsOf, type Queryable } from '../db';
import { NonRetryableError } from '../errors';
import type { Clock } from './clock';
import type { ChildRequest, ChildRun, ChildRuns } from './children';
import type { CommitEffects } from './commit-effects';
import type { SagaDefinition } from './define-saga';
import { SagaTypeUnknownError } from './saga-errors';
import { sagaStarted } from './saga-metrics';
import type { SagaOutcome, SagaRecord, SagaStatus } from './saga-record';
import { sagaIdFor } from './saga-rows';
import { insertSaga, loadSaga } from './saga-store';
import { writeTransition } from './step-runner';
import { beginCompensation, unchanged } from './transitions';

/** What the child runs of one step try need: its transaction, effects, clock, the parent, known types. */
export interface ChildRunsPlace {
  tx: Queryable;
  effects: CommitEffects;
  clock: Clock;
  parent: SagaRecord;
  /** The definition of a saga type this engine runs, if it runs it. */
  definition: (type: string) => SagaDefinition<unknown> | undefined;
  types: () => string[];
  /** Inline (before any transaction) children cannot start: the parent is not written yet. */
  inline: boolean;
}

/** `ctx.children` of a step: child runs linked to the parent by `parent_id`, moved in the step's transaction. */
export class StepChildRuns implements ChildRuns {
  constructor(private readonly place: ChildRunsPlace) {}

  async start(group: string, children: readonly ChildRequest[]): Promise<string[]> {
    const { tx, effects, clock, parent } = this.place;
    if (this.place.inline) {
      throw new NonRetryableError(
        'WAGGLE_CHILDREN_INLINE',
        `saga ${parent.type}: children cannot start from a step that runs inline`,
      );
    }
    const now = clock.now();
    const ids: string[] = [];
    for (const [index, child] of children.entries()) {
      const def = this.place.definition(child.type);
      if (!def) throw new SagaTypeUnknownError(child.type, this.place.types());
      const correlationKey = `${parent.id}/${group}/${index}`;
      const { id, created } = await insertSaga(tx, {
        id: sagaIdFor(child.type, correlationKey),
        type: child.type,
        tenant: parent.tenant,
        correlationKey,
        stepName: def.steps[0]?.name ?? '',
        input: child.input,
        now,
        parent: { id: parent.id, group, index },
      });
      ids.push(id);
      if (!created) continue;
      // Its `started` entry (with the parent's id) was written with the row.
      effects.moved(id, now);
      sagaStarted.inc({ type: child.type });
    }
    return ids;
  }

  async list(group: string): Promise<ChildRun[]> {
    const rows = await rowsOf<{
      id: string;
      type: string;
      index: number;
      status: SagaStatus;
      outcome: SagaOutcome | null;
    }>(
      this.place.tx,
      `SELECT id, type, child_index AS index, status, outcome FROM saga
        WHERE parent_id = $1 AND child_group = $2 ORDER BY child_index`,
      [this.place.parent.id, group],
    );
    return rows.map((r) => ({
      id: r.id,
      type: r.type,
      index: r.index,
      status: r.status,
      ...(r.outcome?.result === undefined ? {} : { result: r.outcome.result }),
      ...(r.outcome?.error ? { error: r.outcome.error } : {}),
    }));
  }

  cancel(group: string, reason: string): Promise<number> {
    return this.stop(group, reason, ['running', 'waiting']);
  }

  undo(group: string, reason: string): Promise<number> {
    return this.stop(group, reason, ['running', 'waiting', 'completed']);
  }

  // Moves each child in `from` to compensating (locked in index order; a child's own transactions never
  // lock its parent, so this cannot deadlock with them). Its compensations run on the timers; it ends as
  // cancelled.
  private async stop(group: string, reason: string, from: SagaStatus[]): Promise<number> {
    const { tx, effects, clock, parent } = this.place;
    const ids = await rowsOf<{ id: string }>(
      tx,
      `SELECT id FROM saga WHERE parent_id = $1 AND child_group = $2 AND status = ANY($3)
        ORDER BY child_index FOR UPDATE`,
      [parent.id, group, from],
    );
    const now = clock.now();
    let stopped = 0;
    for (const { id } of ids) {
      const child = await loadSaga(tx, id);
      if (!child || !from.includes(child.status)) continue;
      const error = { code: 'WAGGLE_PARENT_STOPPED', message: reason };
      const t = beginCompensation(child, { ...unchanged(child), finishedAt: null }, error, true, now);
      t.timeline[0] = {
        kind: 'cancelled-by-parent',
        step: child.stepName,
        detail: { parentId: parent.id, error },
      };
      if (await writeTransition(tx, effects, child, t, now)) stopped += 1;
    }
    return stopped;
  }
}

/** A child run as its parent's readers list it. */
export interface ChildLink {
  id: string;
  type: string;
  group: string;
  index: number;
  status: SagaStatus;
}

/** Every child run of a saga, by group and index. */
export function childrenOf(db: Queryable, parentId: string): Promise<ChildLink[]> {
  return rowsOf<ChildLink>(
    db,
    `SELECT id, type, child_group AS "group", child_index AS index, status FROM saga
      WHERE parent_id = $1 ORDER BY child_group, child_index`,
    [parentId],
  );
}
