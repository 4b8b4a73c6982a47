import { readFile, writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { connectAnyNode } from '../../broker';
import { loadConfig } from '../../config';
import { configureLogger } from '../../observability';
import {
  amqpUrlForVhost,
  applyManagement,
  applyTopology,
  describePlan,
  diffTopology,
  exportDefinitions,
  formatDiff,
  loadTopology,
  ManagementApiError,
  ManagementClient,
  planTopology,
  topologyGraph,
  TopologyInvalidError,
  vhostOfAmqpUrl,
  type Topology,
} from '../../topology';
import { CliError } from '../cli-error';

interface FileOptions {
  file?: string;
}
interface TargetOptions extends FileOptions {
  vhost?: string;
}

const FILE_HELP = 'topology file (default: $WAGGLE_TOPOLOGY_FILE or topology/waggle.yaml)';
const VHOST_HELP = 'vhost to work on (default: the one in $WAGGLE_AMQP_URL, usually /)';
const GRAPH_START = '<!-- topology-graph:start -->';
const GRAPH_END = '<!-- topology-graph:end -->';

/** `waggle topology …`: validate, apply, diff, export and draw the declared RabbitMQ topology. */
export function registerTopology(program: Command): void {
  const topology = program
    .command('topology')
    .description(
      'declare, check and draw the RabbitMQ topology (exchanges, queues, bindings, users) of topology/waggle.yaml',
    )
    .addHelpText(
      'after',
      `
Every subcommand reads --file (default topology/waggle.yaml). A bad file prints one line per problem
(file: path: found, expected) on stderr and exits 2.

Examples:
  waggle topology validate
  waggle topology apply --dry-run        print every object apply would declare
  waggle topology apply                  declare it on the broker (safe to repeat)
  waggle topology diff                   exit 0 in sync, 1 on drift
  waggle topology export --out defs.json definitions for the management UI's "Import definitions"
  waggle topology graph                  Mermaid diagram`,
    );

  topology
    .command('validate')
    .description(
      'check the file (YAML, JSON Schema, references, names, retry tiers, handler modules); exit 0 when valid, 2 otherwise',
    )
    .option('--file <path>', FILE_HELP)
    .action((opts: FileOptions) =>
      withTopology(opts, (t, file) => {
        const plan = planTopology(t);
        console.log(
          `${file}: valid — ${plan.exchanges.length} exchanges, ${plan.queues.length} queues, ` +
            `${plan.bindings.length} bindings, ${t.consumers.length} consumers, ${plan.users.length} producer users`,
        );
      }),
    );

  topology
    .command('apply')
    .description(
      'declare exchanges, queues and bindings over AMQP and producer users and permissions through the management API; idempotent',
    )
    .option('--file <path>', FILE_HELP)
    .option('--vhost <name>', VHOST_HELP)
    .option('--dry-run', 'print the plan (every object with its final arguments) and change nothing')
    .option('--json', 'with --dry-run: print the plan as JSON')
    .option('--skip-users', 'leave users and permissions alone (no management API needed)')
    .addHelpText(
      'after',
      `
Nothing is ever deleted. An existing queue or exchange whose fixed properties differ (e.g. a classic queue
declared quorum in the file) is left as it is and reported on stderr as a conflict naming the object, the
argument, both values and how to migrate; apply then exits 1. Producer passwords come from each producer's
passwordEnv variable (unset: the user name, for development only, with a warning).`,
    )
    .action((opts: TargetOptions & { dryRun?: boolean; json?: boolean; skipUsers?: boolean }) =>
      withTopology(opts, async (t) => {
        const plan = planTopology(t);
        if (opts.dryRun) {
          console.log(opts.json ? JSON.stringify(plan.objects, null, 2) : describePlan(plan).join('\n'));
          return;
        }
        const config = loadConfig();
        configureLogger({ level: 'silent' });
        const vhost = opts.vhost ?? vhostOfAmqpUrl(config.amqpUrl);
        const connection = await connectAnyNode(amqpUrlForVhost(config.amqpUrl, vhost)).catch(
          (err: unknown) => {
            throw new CliError(
              `no AMQP connection to vhost "${vhost}" (${(err as Error).message}): is the broker up, does the ` +
                'vhost exist, and may the user of WAGGLE_AMQP_URL use it?',
              1,
            );
          },
        );
        try {
          const channel = await connection.createChannel();
          const management = new ManagementClient(config.managementUrl, vhost);
          const report = await applyTopology(channel, plan, {
            management,
            openProbeChannel: () => connection.createChannel(),
          });
          for (const line of report.created) console.log(`created ${line}`);
          if (!report.compared)
            console.error(
              'warning: management API unreachable: only differences the broker itself checks were looked for',
            );
          let users = '';
          if (!opts.skipUsers) {
            const m = await applyManagement(plan, config.managementUrl, vhost).catch((err: unknown) => {
              if (!(err instanceof ManagementApiError)) throw err;
              for (const c of report.conflicts) console.error(`conflict: ${c.message}`);
              throw new CliError(
                `${err.message}; exchanges, queues and bindings are applied, users and permissions are not ` +
                  '(--skip-users leaves them out)',
                1,
              );
            });
            for (const line of m.created) console.log(`created ${line}`);
            for (const line of m.updated) console.log(`updated ${line}`);
            for (const w of m.warnings) console.error(`warning: ${w}`);
            users = `; users and permissions: ${m.created.length} created, ${m.updated.length} updated, ${m.unchanged} unchanged`;
          }
          for (const c of report.conflicts) console.error(`conflict: ${c.message}`);
          console.log(
            `applied ${t.file} to vhost ${vhost}: ${report.created.length} created, ${report.unchanged} ` +
              `exchanges and queues unchanged, ${report.bindings} bindings asserted, ` +
              `${report.conflicts.length} conflicts${users}`,
          );
          if (report.conflicts.length > 0) process.exitCode = 1;
        } finally {
          await connection.close().catch(() => undefined);
        }
      }),
    );

  topology
    .command('diff')
    .description(
      'compare the file with the live broker through the management API; exit 0 in sync, 1 on drift',
    )
    .option('--file <path>', FILE_HELP)
    .option('--vhost <name>', VHOST_HELP)
    .option('--json', 'print the diff as JSON')
    .addHelpText(
      'after',
      `
missing    declared in the file, absent on the broker
different  present, but a fixed property, permission, tag or password differs
extra      carries waggle's ownership marker (argument x-waggle-owned on exchanges and queues, tag
           waggle-producer on users) but is not in the file; bindings count when both ends are waggle's`,
    )
    .action((opts: TargetOptions & { json?: boolean }) =>
      withTopology(opts, async (t) => {
        const config = loadConfig();
        const vhost = opts.vhost ?? vhostOfAmqpUrl(config.amqpUrl);
        // like diff(1): 0 same, 1 different, 2 could not compare
        const diff = await diffTopology(planTopology(t), config.managementUrl, vhost).catch(
          (err: unknown) => {
            if (err instanceof ManagementApiError) throw new CliError(`cannot compare: ${err.message}`, 2);
            throw err;
          },
        );
        console.log(opts.json ? JSON.stringify(diff, null, 2) : formatDiff(diff).join('\n'));
        if (!diff.inSync) process.exitCode = 1;
      }),
    );

  topology
    .command('export')
    .description(
      'write RabbitMQ definitions JSON (management UI → Overview → Import definitions, or rabbitmqctl import_definitions)',
    )
    .option('--file <path>', FILE_HELP)
    .option('--vhost <name>', 'vhost the definitions target (default: the one in $WAGGLE_AMQP_URL)')
    .option('--out <path>', 'write to this file instead of stdout')
    .action((opts: TargetOptions & { out?: string }) =>
      withTopology(opts, async (t) => {
        const vhost = opts.vhost ?? vhostOfAmqpUrl(loadConfig().amqpUrl);
        const json = `${JSON.stringify(exportDefinitions(planTopology(t), { vhost }), null, 2)}\n`;
        if (opts.out) {
          await writeFile(opts.out, json);
          console.error(`wrote ${opts.out}`);
        } else process.stdout.write(json);
      }),
    );

  topology
    .command('graph')
    .description('print the topology as a Mermaid flowchart (exchanges → bindings → queues → consumers)')
    .option('--file <path>', FILE_HELP)
    .option('--write <markdown>', `replace the diagram between ${GRAPH_START} and ${GRAPH_END} in this file`)
    .action((opts: FileOptions & { write?: string }) =>
      withTopology(opts, async (t) => {
        const graph = topologyGraph(t);
        if (!opts.write) {
          process.stdout.write(graph);
          return;
        }
        const text = await readFile(opts.write, 'utf8');
        const start = text.indexOf(GRAPH_START);
        const end = text.indexOf(GRAPH_END);
        if (start < 0 || end < start)
          throw new CliError(`${opts.write}: expected the markers ${GRAPH_START} and ${GRAPH_END}`);
        const block = `${GRAPH_START}\n\`\`\`mermaid\n${graph}\`\`\`\n`;
        await writeFile(opts.write, text.slice(0, start) + block + text.slice(end));
        console.error(`updated the diagram in ${opts.write}`);
      }),
    );
}

// Loads the file (default from the environment) and runs `fn`; a bad topology prints one line per problem.
export async function withTopology(
  opts: FileOptions,
  fn: (t: Topology, file: string) => void | Promise<void>,
): Promise<void> {
  const file = opts.file ?? loadConfig().topologyFile;
  let t: Topology;
  try {
    t = await loadTopology(file);
  } catch (err) {
    if (!(err instanceof TopologyInvalidError)) throw err;
    for (const line of err.problems) console.error(line);
    process.exitCode = 2;
    return;
  }
  await fn(t, file);
}
