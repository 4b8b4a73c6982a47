import { Command } from 'commander';
import { registerAgents } from './commands/agents';
import { registerChannels } from './commands/channels';
import { registerConfig } from './commands/config';
import { registerKeys } from './commands/keys';
import { registerMigrate } from './commands/migrate';
import { registerParked } from './commands/parked';
import { registerSagas } from './commands/sagas';
import { registerSessions } from './commands/sessions';
import { registerTools } from './commands/tools';
import { registerWebhooks } from './commands/webhooks';
import { registerWorkflows } from './commands/workflows';
import { registerStart } from './commands/start';
import { registerTenants } from './commands/tenants';
import { registerTopology } from './commands/topology';
import { reportFailure } from './report-failure';

/** Builds the `waggle` command tree. */
export function buildProgram(): Command {
  const program = new Command('waggle')
    .description(
      'waggle — SmartBeez message platform: routes chat and system events per tenant and channel ' +
        'through RabbitMQ, keeps per-session order, retries through delay tiers, runs sagas in Postgres.',
    )
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .addHelpText(
      'after',
      `
Configuration comes from WAGGLE_* environment variables; \`waggle config --markdown\` lists them all.
Start here: \`waggle start\`, then open http://127.0.0.1:8080/v1/health.`,
    );
  registerStart(program);
  registerMigrate(program);
  registerConfig(program);
  registerChannels(program);
  registerTenants(program);
  registerKeys(program);
  registerTopology(program);
  registerSagas(program);
  registerWorkflows(program);
  registerSessions(program);
  registerWebhooks(program);
  registerTools(program);
  registerAgents(program);
  registerParked(program);
  return program;
}

/** Entry point of bin/waggle.js: every failure ends as one line on stderr and a non-zero exit. */
export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    process.exitCode = reportFailure(err);
  }
}
