import { createInterface } from 'node:readline/promises';
import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { loadConfig } from '../../config';
import { WaggleError } from '../../errors';
import { configureLogger } from '../../observability';
import { ParkingLots, type ParkedSelection } from '../../retry';
import { parkingLotsOf } from '../../roles';
import { loadTopology } from '../../topology';
import { CliError } from '../cli-error';

interface SelectionOptions {
  messageId?: string;
  errorCode?: string;
  originalQueue?: string;
  limit?: string;
}

async function parkingLots(): Promise<ParkingLots> {
  const config = loadConfig();
  configureLogger({ level: 'warn', pretty: config.logPretty });
  const topology = await loadTopology(config.topologyFile);
  return new ParkingLots({ amqpUrl: config.amqpUrl, queues: parkingLotsOf(topology) });
}

// A refused input (an unknown parking lot) is the user's to fix: one line, exit code 2.
function userErrors<A extends unknown[]>(
  action: (...args: A) => Promise<void>,
): (...args: A) => Promise<void> {
  return async (...args) => {
    try {
      await action(...args);
    } catch (err) {
      if (err instanceof WaggleError && err.kind === 'invalid-input') throw new CliError(err.message);
      throw err;
    }
  };
}

function selectionOf(opts: SelectionOptions): ParkedSelection {
  const limit = opts.limit === undefined ? undefined : Number(opts.limit);
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) {
    throw new CliError(`--limit: "${opts.limit}" is not a whole number ≥ 1`);
  }
  return { messageId: opts.messageId, errorCode: opts.errorCode, originalQueue: opts.originalQueue, limit };
}

function describe(s: ParkedSelection): string {
  const parts = [
    s.messageId && `message ${s.messageId}`,
    s.errorCode && `error ${s.errorCode}`,
    s.originalQueue && `from ${s.originalQueue}`,
  ].filter(Boolean);
  return parts.length > 0 ? parts.join(', ') : 'every message';
}

const selectionHelp = (cmd: Command) =>
  cmd
    .option('--message-id <id>', 'only this message')
    .option('--error-code <code>', 'only messages parked with this error code')
    .option('--original-queue <queue>', 'only messages parked from this queue')
    .option('--limit <n>', 'look at most at this many messages');

/** `waggle parked list|replay|purge`: the parking lots of the topology. */
export function registerParked(program: Command): void {
  const parked = program
    .command('parked')
    .description('parked messages: list them grouped by queue and error code, replay them, purge them');

  selectionHelp(
    parked
      .command('list [queue]')
      .description('without a queue: every parking lot with its depth and groups; with one: its messages'),
  )
    .option('--json', 'print JSON')
    .action(
      userErrors(async (queue: string | undefined, opts: SelectionOptions & { json?: boolean }) => {
        const lots = await parkingLots();
        if (!queue) {
          const depths = await lots.depths();
          const groups = await lots.groups();
          if (opts.json) {
            console.log(JSON.stringify({ queues: depths, groups }, null, 2));
            return;
          }
          console.log(['PARKING LOT'.padEnd(32), 'MESSAGES'].join(' '));
          for (const d of depths) console.log([d.queue.padEnd(32), String(d.messages)].join(' '));
          if (groups.length > 0) {
            console.log(
              '\n' +
                ['PARKING LOT'.padEnd(32), 'FROM QUEUE'.padEnd(24), 'ERROR CODE'.padEnd(32), 'COUNT'].join(
                  ' ',
                ),
            );
            for (const g of groups) {
              console.log(
                [
                  g.parkedQueue.padEnd(32),
                  g.originalQueue.padEnd(24),
                  g.errorCode.padEnd(32),
                  String(g.count),
                ].join(' '),
              );
            }
          }
          return;
        }
        const messages = await lots.list(queue, selectionOf(opts));
        if (opts.json) {
          console.log(
            JSON.stringify(
              messages.map(({ content, headers: _h, ...m }) => ({ ...m, body: content.toString('utf8') })),
              null,
              2,
            ),
          );
          return;
        }
        if (messages.length === 0) {
          console.log(`${queue}: nothing parked (${describe(selectionOf(opts))})`);
          return;
        }
        for (const m of messages) {
          console.log(
            `${m.messageId ?? '-'}  ${m.type ?? '-'}  tenant ${m.tenant ?? '-'}  from ${m.originalQueue ?? '?'}  ` +
              `${m.errorCode ?? '?'} after ${m.attempts} attempt(s)  parked ${m.parkedAt ?? '?'}`,
          );
          if (m.errorMessage) console.log(`    ${m.errorMessage}`);
        }
      }),
    );

  selectionHelp(
    parked
      .command('replay <queue>')
      .description('send parked messages back to the queue they came from, in parked order, each confirmed')
      .option('--all', 'replay every message of the lot (needed when nothing else narrows the selection)'),
  )
    .addHelpText(
      'after',
      `
Examples:
  waggle parked replay tool.calls.parked --message-id 7f3c…
  waggle parked replay tool.calls.parked --error-code WAGGLE_TOOL_UNAVAILABLE
  waggle parked replay webhook.deliveries.parked --all`,
    )
    .action(
      userErrors(async (queue: string, opts: SelectionOptions & { all?: boolean }) => {
        const selection = selectionOf(opts);
        if (
          !opts.all &&
          !selection.messageId &&
          !selection.errorCode &&
          !selection.originalQueue &&
          !selection.limit
        ) {
          throw new CliError(
            'say which messages: --message-id, --error-code, --original-queue, --limit, or --all',
          );
        }
        const lots = await parkingLots();
        const total = await lots.count(queue, selection);
        if (total === 0) {
          console.log(`${queue}: nothing to replay (${describe(selection)})`);
          return;
        }
        const bar = new SingleBar({
          format: `replaying ${queue} [{bar}] {value}/{total}`,
          stream: process.stderr,
          hideCursor: true,
        });
        bar.start(total, 0);
        const destinations = new Map<string, number>();
        const result = await lots.replay(queue, selection, (m, n) => {
          const to = m.originalQueue ?? '?';
          destinations.set(to, (destinations.get(to) ?? 0) + 1);
          bar.update(Math.min(n, total));
        });
        bar.stop();
        const where = [...destinations].map(([q, n]) => `${n} to ${q}`).join(', ');
        console.log(
          `replayed ${result.replayed} message(s)${where ? ` (${where})` : ''}; ${result.kept} left parked`,
        );
      }),
    );

  selectionHelp(
    parked
      .command('purge <queue>')
      .description('delete parked messages for good (asks to type the queue name unless --yes)')
      .option('--yes', 'do not ask'),
  ).action(
    userErrors(async (queue: string, opts: SelectionOptions & { yes?: boolean }) => {
      const selection = selectionOf(opts);
      const lots = await parkingLots();
      const count = await lots.count(queue, selection);
      if (count === 0) {
        console.log(`${queue}: nothing to purge (${describe(selection)})`);
        return;
      }
      if (!opts.yes && !(await confirmed(queue, count, selection))) {
        throw new CliError(`purge of ${queue} aborted: nothing was deleted`, 1);
      }
      const purged = await lots.purge(queue, selection);
      console.log(`purged ${purged} message(s) from ${queue}`);
    }),
  );
}

async function confirmed(queue: string, count: number, selection: ParkedSelection): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: process.stdin.isTTY });
  try {
    const answer = await Promise.race([
      rl.question(
        `This deletes ${count} parked message(s) (${describe(selection)}) for good. Type "${queue}" to go on: `,
      ),
      new Promise<string>((resolve) => rl.once('close', () => resolve(''))),
    ]);
    return answer.trim() === queue;
  } finally {
    rl.close();
  }
}
