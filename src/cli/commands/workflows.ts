import type { Command } from 'commander';
import { loadWorkflows, WorkflowModuleError, type LoadedWorkflow } from '../../workflows';
import { CliError } from '../cli-error';
import { printListing } from './listing';
import { withTopology } from './topology';

/** `waggle workflows list`: the workflows the topology loads, as every process loads them at start. */
export function registerWorkflows(program: Command): void {
  const workflows = program
    .command('workflows')
    .description("workflows users write: the topology's workflows: section (saga type → module)");

  workflows
    .command('list')
    .description('load every workflow module the topology names and list their types and steps')
    .option('--file <path>', 'topology file (default: $WAGGLE_TOPOLOGY_FILE or topology/waggle.yaml)')
    .option('--json', 'print JSON')
    .addHelpText(
      'after',
      `
A module that cannot be loaded, or whose default export is not a defineSaga(...) result of the entry's type,
prints one line naming the file and exits 2, as \`waggle start\` would fail.
Tenants start a run with POST /v1/workflows/<type>/runs.`,
    )
    .action((opts: { file?: string; json?: boolean }) =>
      withTopology(opts, async (topology, file) => {
        let loaded: LoadedWorkflow[];
        try {
          loaded = await loadWorkflows(topology);
        } catch (err) {
          if (err instanceof WorkflowModuleError) throw new CliError(err.message);
          throw err;
        }
        printListing(loaded, {
          headers: ['TYPE', 'STEPS', 'MODULE'],
          widths: [24, 48],
          cells: (w) => [w.type, w.definition.steps.map((s) => s.name).join(' → '), w.module],
          empty: `${file} loads no workflows: add a workflows: section (type → module) to it`,
          json: opts.json,
          asJson: (w) => ({ type: w.type, module: w.module, steps: w.definition.steps.map((s) => s.name) }),
        });
      }),
    );
}
