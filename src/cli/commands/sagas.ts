import type { Command } from 'commander';
import { poolOf } from '../../db';
import { ACTIVE_STATUSES, FINISHED_STATUSES, SagaEngine, type SagaStatus } from '../../saga';
import { CliError } from '../cli-error';
import { shortTime, withAdmissionDb } from './admission-db';
import { printListing } from './listing';

const STATUSES: readonly string[] = [...ACTIVE_STATUSES, ...FINISHED_STATUSES];

/** `waggle sagas list|show|retry|cancel`: look at and steer the sagas in Postgres. */
export function registerSagas(program: Command): void {
  const sagas = program
    .command('sagas')
    .description(
      'list sagas, show one with its timeline, retry or cancel it (tool calls, webhook deliveries, …)',
    );

  sagas
    .command('list')
    .description('sagas, most recently updated first')
    .option('--status <list>', `comma-separated: ${STATUSES.join(', ')}`)
    .option('--type <type>', 'saga type, e.g. tool-call or webhook-delivery')
    .option('--tenant <id>', 'only this tenant')
    .option('--limit <n>', 'at most this many', '50')
    .option('--json', 'print JSON')
    .addHelpText(
      'after',
      `
Examples:
  waggle sagas list --status failed --type tool-call
  waggle sagas list --status waiting,running --tenant acme --json`,
    )
    .action(
      async (opts: { status?: string; type?: string; tenant?: string; limit: string; json?: boolean }) => {
        const status = opts.status?.split(',').map((s) => s.trim()) as SagaStatus[] | undefined;
        const bad = status?.filter((s) => !STATUSES.includes(s)) ?? [];
        if (bad.length > 0)
          throw new CliError(`--status: "${bad.join(',')}" is not one of ${STATUSES.join(', ')}`);
        const limit = Number(opts.limit);
        if (!Number.isInteger(limit) || limit < 1)
          throw new CliError(`--limit: "${opts.limit}" is not a whole number ≥ 1`);
        await withAdmissionDb(async (db) => {
          const list = await new SagaEngine({ pool: poolOf(db) }).list({
            status,
            type: opts.type,
            tenant: opts.tenant,
            limit,
          });
          printListing(list, {
            json: opts.json,
            empty: 'no sagas match',
            headers: ['ID', 'TYPE', 'TENANT', 'STATUS', 'STEP', 'TRIES', 'UPDATED'],
            widths: [36, 16, 14, 12, 10, 5],
            cells: (s) => [
              s.id,
              s.type,
              s.tenant,
              s.status,
              s.stepName ?? '-',
              String(s.attempts),
              shortTime(s.updatedAt),
            ],
          });
        });
      },
    );

  sagas
    .command('show <id>')
    .description('one saga: its state, where it is, and its timeline')
    .option('--json', 'print JSON')
    .action(async (id: string, opts: { json?: boolean }) => {
      await withAdmissionDb(async (db) => {
        const engine = new SagaEngine({ pool: poolOf(db) });
        const saga = await engine.get(id);
        const timeline = await engine.timeline(id);
        if (opts.json) {
          console.log(JSON.stringify({ saga, timeline }, null, 2));
          return;
        }
        console.log(`saga ${saga.id}  ${saga.type}  tenant ${saga.tenant}  key ${saga.correlationKey}`);
        console.log(
          `status ${saga.status}${saga.stepName ? ` at step "${saga.stepName}"` : ''}, tries ${saga.attempts}, run ${saga.run}` +
            (saga.waitingFor ? `, waiting for ${saga.waitingFor.join(' or ')}` : '') +
            (saga.wakeAt ? `, wakes ${shortTime(saga.wakeAt)}` : ''),
        );
        if (saga.lastError) console.log(`last error: ${saga.lastError}`);
        console.log('timeline:');
        for (const e of timeline) {
          const detail = e.detail ? ` ${JSON.stringify(e.detail)}` : '';
          console.log(`  ${shortTime(e.at)}  ${e.kind}${e.step ? ` [${e.step}]` : ''}${detail}`);
        }
      });
    });

  sagas
    .command('retry <id>')
    .description('run the current step now; restart a failed or cancelled saga from its first step')
    .action(async (id: string) => {
      await withAdmissionDb(async (db) => {
        const saga = await new SagaEngine({ pool: poolOf(db) }).retry(id);
        console.log(
          `saga ${saga.id} is ${saga.status} at step "${saga.stepName ?? '-'}" (run ${saga.run}); a scheduler picks it up now`,
        );
      });
    });

  sagas
    .command('cancel <id>')
    .description(
      'cancel a running or waiting saga: the compensations of the steps that began run, newest first',
    )
    .option('--reason <text>', 'why, kept on the timeline', 'cancelled by an operator')
    .action(async (id: string, opts: { reason: string }) => {
      await withAdmissionDb(async (db) => {
        const saga = await new SagaEngine({ pool: poolOf(db) }).cancel(id, opts.reason);
        console.log(`saga ${saga.id} is ${saga.status}; it ends as cancelled once its compensations ran`);
      });
    });
}
