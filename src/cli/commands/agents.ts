import type { Command } from 'commander';
import { DEFAULT_AGENT_TIMEOUT, agentJson, listAgents, removeAgent, setAgent } from '../../agent';
import { formatDuration, loadConfig, hidePasswords } from '../../config';
import { poolOf } from '../../db';
import { CliError } from '../cli-error';
import { shortTime, withAdmissionDb } from './admission-db';

/** `waggle agents set|list|remove`: which HTTP agent answers a tenant's turns. */
export function registerAgents(program: Command): void {
  const agents = program
    .command('agents')
    .description(
      "register the HTTP agent that answers a tenant's turns (others get WAGGLE_AGENT_URL, or the demo agent)",
    );

  agents
    .command('set <tenant>')
    .description("register or replace a tenant's agent; prints a generated whsec_ secret once")
    .requiredOption('--url <url>', 'where turns are POSTed (http:// or https://)')
    .option('--secret <whsec>', 'sign turns with this whsec_ secret (default: generated for a new agent)')
    .option('--timeout <duration>', 'longest one answer may take, streaming included', DEFAULT_AGENT_TIMEOUT)
    .addHelpText(
      'after',
      `
Example:
  waggle agents set acme --url https://agents.acme.example/turns --timeout 45s
Each turn is a signed POST (Standard Webhooks: webhook-id is the turn id); the agent answers
application/json {"actions":[…]} or streams application/x-ndjson. A replaced registration keeps its
secret unless --secret gives a new one. Running workers pick a change up within 30 s.`,
    )
    .action(async (tenant: string, opts: { url: string; secret?: string; timeout: string }) => {
      await withAdmissionDb(async (db) => {
        const set = await setAgent(poolOf(db), {
          tenant,
          url: opts.url,
          timeout: opts.timeout,
          ...(opts.secret !== undefined ? { secret: opts.secret } : {}),
        });
        const what = `${set.created ? 'registered' : 'replaced'} the agent of ${tenant}: ${set.agent.url} (timeout ${formatDuration(set.agent.timeoutMs)})`;
        if (set.secret) {
          console.log(set.secret);
          console.error(`${what}; the line above is its signing secret, shown only now`);
        } else console.error(what);
      });
    });

  agents
    .command('list')
    .description("tenants' agents (never their secrets)")
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const fallback = loadConfig().agentUrl;
      await withAdmissionDb(async (db) => {
        const list = await listAgents(poolOf(db));
        if (opts.json) {
          console.log(JSON.stringify(list.map(agentJson), null, 2));
          return;
        }
        if (list.length === 0)
          console.log('no tenant has an agent of its own: waggle agents set <tenant> --url <url>');
        else {
          console.log(['TENANT'.padEnd(20), 'TIMEOUT'.padEnd(8), 'UPDATED'.padEnd(21), 'URL'].join(' '));
          for (const a of list) {
            console.log(
              [
                a.tenant.padEnd(20),
                formatDuration(a.timeoutMs).padEnd(8),
                shortTime(a.updatedAt).padEnd(21),
                a.url,
              ].join(' '),
            );
          }
        }
        console.log(
          `other tenants: ${fallback ? `${hidePasswords(fallback)} (WAGGLE_AGENT_URL)` : 'the demo agent (WAGGLE_AGENT_URL is unset)'}`,
        );
      });
    });

  agents
    .command('remove <tenant>')
    .description("remove a tenant's agent (its turns go to WAGGLE_AGENT_URL, or the demo agent)")
    .action(async (tenant: string) => {
      await withAdmissionDb(async (db) => {
        if (!(await removeAgent(poolOf(db), tenant)))
          throw new CliError(`tenant ${tenant} has no agent of its own`);
        console.log(`removed the agent of ${tenant}`);
      });
    });
}
