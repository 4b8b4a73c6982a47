// bundle-publish: compile a bundle (a tool call), wait for a person to approve it (an outside event matched
// on the bundle id, with a deadline), swap the tenant's active-bundle pointer, then verify the live bundle
// (a second tool call). A rejection, a missed deadline or a failed verification compensates: the pointer
// goes back to the bundle that was active before, and the compile tool is asked to drop its artifact.
//
// Tools it calls (register them per tenant with `waggle tools add`): `bundle-compile` answers
// `{ artifact }` (and may have a compensate URL that deletes it); `bundle-verify` answers 2xx when the
// live bundle works.
import { firstRow } from '../../src/db';
import { complete, defineSaga, fail, next, waitFor, type StepContext } from '../../src/saga';
import { toolCallStep } from '../../src/tools';

export interface BundlePublish {
  bundleId: string;
  /** What the compile tool builds the bundle from. */
  source: string;
  /** How long to wait for `bundle.approved`. @default '2h' */
  approvalTimeout?: string;
  artifact?: string;
  /** The bundle that was active before the swap (null: none was). */
  previous?: string | null;
  swapped?: boolean;
}

// The example keeps its pointer in a table of its own, made on first use (one creator at a time).
async function pointerTable(ctx: StepContext<BundlePublish>): Promise<void> {
  await ctx.db.query(`SELECT pg_advisory_xact_lock(hashtext('bundle_pointer'))`);
  await ctx.db.query(
    `CREATE TABLE IF NOT EXISTS bundle_pointer (
       tenant text PRIMARY KEY, bundle_id text NOT NULL, updated_at timestamptz NOT NULL DEFAULT now())`,
  );
}

export default defineSaga<BundlePublish>({
  type: 'bundle-publish',
  steps: [
    toolCallStep<BundlePublish>({
      name: 'compile',
      tool: 'bundle-compile',
      arguments: (ctx) => ({ bundleId: ctx.state.bundleId, source: ctx.state.source }),
      onResult: (ctx, result) => {
        ctx.state.artifact = (result as { artifact?: string } | undefined)?.artifact;
      },
    }),
    {
      name: 'approval',
      run: (ctx) =>
        waitFor(['bundle.approved', 'bundle.rejected'], {
          match: { 'data.bundleId': ctx.state.bundleId },
          timeout: ctx.state.approvalTimeout ?? '2h',
        }),
      on: {
        'bundle.approved': () => next(),
        'bundle.rejected': (_ctx, event) =>
          fail(
            'BUNDLE_REJECTED',
            `rejected: ${(event.data as { reason?: string })?.reason ?? 'no reason given'}`,
          ),
      },
      onTimeout: (ctx) =>
        fail('BUNDLE_NOT_APPROVED', `bundle ${ctx.state.bundleId} was not approved in time`),
    },
    {
      name: 'swap',
      run: async (ctx) => {
        await pointerTable(ctx);
        // firstRow reads a row whichever driver runs the step's transaction (pg or typeorm).
        const active = await firstRow<{ bundle_id: string }>(
          ctx.db,
          'SELECT bundle_id FROM bundle_pointer WHERE tenant = $1 FOR UPDATE',
          [ctx.saga.tenant],
        );
        ctx.state.previous = active?.bundle_id ?? null;
        await ctx.db.query(
          `INSERT INTO bundle_pointer (tenant, bundle_id) VALUES ($1, $2)
           ON CONFLICT (tenant) DO UPDATE SET bundle_id = excluded.bundle_id, updated_at = now()`,
          [ctx.saga.tenant, ctx.state.bundleId],
        );
        ctx.state.swapped = true;
      },
      compensate: async (ctx) => {
        if (!ctx.state.swapped) return;
        // Put back what was active, unless another publish has swapped the pointer since.
        if (ctx.state.previous) {
          await ctx.db.query(
            'UPDATE bundle_pointer SET bundle_id = $2, updated_at = now() WHERE tenant = $1 AND bundle_id = $3',
            [ctx.saga.tenant, ctx.state.previous, ctx.state.bundleId],
          );
        } else {
          await ctx.db.query('DELETE FROM bundle_pointer WHERE tenant = $1 AND bundle_id = $2', [
            ctx.saga.tenant,
            ctx.state.bundleId,
          ]);
        }
      },
    },
    toolCallStep<BundlePublish>({
      name: 'verify',
      tool: 'bundle-verify',
      arguments: (ctx) => ({ bundleId: ctx.state.bundleId, artifact: ctx.state.artifact }),
      onResult: (ctx) => complete({ active: ctx.state.bundleId, previous: ctx.state.previous ?? null }),
    }),
  ],
});
