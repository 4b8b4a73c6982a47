import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { poolOf } from '../../db';
import { EVERY_TENANT, listTools, removeTool, upsertTool } from '../../tools';
import { CliError } from '../cli-error';
import { withAdmissionDb } from './admission-db';
import { addListCommand } from './listing';

/** `waggle tools add|list|remove`: the tools tool-call sagas may invoke. */
export function registerTools(program: Command): void {
  const tools = program
    .command('tools')
    .description('register the HTTP tools that tool-call sagas invoke (per tenant, or * for every tenant)');

  tools
    .command('add <name> <url>')
    .description('register or replace a tool')
    .option('--tenant <id>', 'the tenant it serves (* for every tenant)', EVERY_TENANT)
    .option('--async', 'the tool answers 202 and POSTs the result later to /v1/callbacks/<sagaId>')
    .option('--timeout <duration>', 'time one HTTP call may take', '10s')
    .option('--callback-timeout <duration>', 'time an async tool may take to call back', '5m')
    .option('--attempts <n>', 'calls in total before the call fails and is compensated', '3')
    .option('--compensate-url <url>', 'POSTed (with the same arguments) to undo a call when its saga fails')
    .option('--schema <file>', 'JSON Schema file the arguments must satisfy')
    .option('--description <text>', 'what the tool does')
    .addHelpText(
      'after',
      `
Examples:
  waggle tools add weather https://tools.internal/weather --timeout 5s
  waggle tools add booking https://tools.internal/book --tenant acme --async --callback-timeout 10m \\
      --compensate-url https://tools.internal/cancel --schema booking.schema.json
The tool gets POST {callId, tool, arguments, tenant, sagaId[, callback: {url, secret}]} with an
Idempotency-Key header that stays the same across retries of one call.`,
    )
    .action(
      async (
        name: string,
        url: string,
        opts: {
          tenant: string;
          async?: boolean;
          timeout: string;
          callbackTimeout: string;
          attempts: string;
          compensateUrl?: string;
          schema?: string;
          description?: string;
        },
      ) => {
        let inputSchema: Record<string, unknown> | undefined;
        if (opts.schema) {
          try {
            inputSchema = JSON.parse(await readFile(opts.schema, 'utf8')) as Record<string, unknown>;
          } catch (err) {
            throw new CliError(`--schema ${opts.schema}: ${(err as Error).message}`);
          }
        }
        await withAdmissionDb(async (db) => {
          const tool = await upsertTool(poolOf(db), {
            tenant: opts.tenant,
            name,
            url,
            mode: opts.async ? 'async' : 'sync',
            timeout: opts.timeout,
            callbackTimeout: opts.callbackTimeout,
            attempts: Number(opts.attempts),
            compensateUrl: opts.compensateUrl,
            inputSchema,
            description: opts.description,
          });
          console.log(
            `registered tool ${tool.name} for ${tool.tenant === EVERY_TENANT ? 'every tenant' : tool.tenant}: ${tool.url} (${tool.mode})`,
          );
        });
      },
    );

  addListCommand(tools, {
    description: 'registered tools',
    tenantOption: "what this tenant sees (its own and every tenant's)",
    load: (db, tenant) => listTools(poolOf(db), tenant),
    empty: 'no tools: waggle tools add <name> <url>',
    headers: ['NAME', 'TENANT', 'MODE', 'TIMEOUT', 'URL'],
    widths: [16, 14, 6, 8],
    cells: (t) => [t.name, t.tenant, t.mode, `${t.timeoutMs / 1000}s`, t.url],
  });

  tools
    .command('remove <name>')
    .description('remove a tool registration')
    .option('--tenant <id>', 'whose registration (* for every tenant)', EVERY_TENANT)
    .action(async (name: string, opts: { tenant: string }) => {
      await withAdmissionDb(async (db) => {
        if (!(await removeTool(poolOf(db), opts.tenant, name))) {
          throw new CliError(`no tool ${name} is registered for ${opts.tenant}`);
        }
        console.log(`removed tool ${name} (${opts.tenant})`);
      });
    });
}
