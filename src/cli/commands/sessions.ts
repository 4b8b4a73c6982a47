import type { Command } from 'commander';
import { inTransaction, poolOf } from '../../db';
import type { SessionKey } from '../../envelope';
import { describeSession, SessionFence, skipSessionTo } from '../../ordering';
import { CliError } from '../cli-error';
import { shortTime, withAdmissionDb } from './admission-db';

/** `waggle sessions show|skip-to`: where an ordered session stands, and moving it on by hand. */
export function registerSessions(program: Command): void {
  const sessions = program
    .command('sessions')
    .description("an ordered consumer's view of one session: cursor, stash, skips; move a stuck one on");

  sessions
    .command('show')
    .description("the session's cursor (last sequence done), events waiting in the stash, skipped sequences")
    .argument('<consumer>', 'consumer name, e.g. turn-processor')
    .argument('<tenant>', 'tenant id')
    .argument('<session>', 'session id')
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExample:\n  waggle sessions show turn-processor acme chat-42')
    .action(async (consumer: string, tenant: string, session: string, opts: { json?: boolean }) => {
      await withAdmissionDb(async (db) => {
        const standing = await describeSession(poolOf(db), new SessionFence(consumer), { tenant, session });
        if (opts.json) {
          console.log(JSON.stringify(standing, null, 2));
          return;
        }
        if (!standing.known) {
          console.log(`${consumer} has not seen session ${tenant}/${session}`);
          return;
        }
        console.log(
          `${consumer} ${tenant}/${session}: cursor ${standing.cursor} (moved ${shortTime(standing.movedAt)}), ` +
            `${standing.stashedCount} waiting in the stash`,
        );
        for (const s of standing.stashed) {
          console.log(
            `  stashed ${String(s.sequence).padStart(6)}  ${s.tombstone ? '(parked, tombstone)' : s.messageId}  ${shortTime(s.stashedAt)}`,
          );
        }
        for (const s of standing.skipped) {
          console.log(
            `  skipped ${String(s.sequence).padStart(6)}  ${s.code}  ${shortTime(s.skippedAt)}` +
              `${s.replayedAt ? `  replayed ${shortTime(s.replayedAt)}` : ''}  ${s.message}`,
          );
        }
      });
    });

  sessions
    .command('skip-to')
    .description(
      'move the cursor forward to <sequence>: what has not run up to it is recorded as skipped, stashed events ' +
        'up to it are dropped, and the session goes on at the next sequence',
    )
    .argument('<consumer>', 'consumer name')
    .argument('<tenant>', 'tenant id')
    .argument('<session>', 'session id')
    .argument('<sequence>', 'the last sequence to count as done')
    .option('--reason <text>', 'recorded with each skipped sequence', 'skipped by an operator')
    .option('--yes', 'do it (without it, only says what would happen)')
    .addHelpText('after', '\nExample:\n  waggle sessions skip-to turn-processor acme chat-42 17 --yes')
    .action(
      async (
        consumer: string,
        tenant: string,
        session: string,
        sequence: string,
        opts: { reason: string; yes?: boolean },
      ) => {
        const target = Number(sequence);
        if (!/^\d+$/.test(sequence) || !Number.isSafeInteger(target) || target < 1) {
          throw new CliError(`<sequence>: "${sequence}" is not a whole number ≥ 1`);
        }
        const key: SessionKey = { tenant, session };
        const fence = new SessionFence(consumer);
        await withAdmissionDb(async (db) => {
          // Without --yes the move is made and rolled back, so the dry run says exactly what --yes would do.
          const from = await inTransaction(poolOf(db), async (tx) => {
            const moved = await skipSessionTo(tx, fence, key, target, opts.reason).catch((err: unknown) => {
              throw err instanceof RangeError ? new CliError(`<sequence>: ${err.message}`) : err;
            });
            if (!opts.yes) {
              throw new CliError(
                `would move ${consumer} ${tenant}/${session} from ${moved} to ${target} ` +
                  `(${target - moved} sequence(s) skipped); nothing changed: add --yes`,
                1,
              );
            }
            return moved;
          });
          console.log(
            `moved ${consumer} ${tenant}/${session} from ${from} to ${target}; ${target - from} sequence(s) ` +
              'recorded as skipped; workers run what waits in the stash within seconds',
          );
        });
      },
    );
}
