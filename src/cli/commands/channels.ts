import type { Command } from 'commander';
import type { DataSource } from 'typeorm';
import { CHANNELS, CREDENTIAL_FIELDS, maskSecret } from '../../../producers/channels';
import { ChannelCredentialStore, channelName, type ChannelCredentials } from '../../channels';
import { loadConfig } from '../../config';
import { createDataSource, ensureDatabase, migrate } from '../../db';
import { WaggleError } from '../../errors';
import { configureLogger } from '../../observability';
import { CliError } from '../cli-error';

/** `waggle channels set|show|remove`: each tenant's provider credentials for its channel webhooks. */
export function registerChannels(program: Command): void {
  const channels = program
    .command('channels')
    .description("set, show and remove a tenant's channel credentials (WhatsApp, Slack, Telegram)")
    .addHelpText('after', `\n${fieldHelp()}`);

  channels
    .command('set <tenant> <channel> [fields...]')
    .description('store credentials as name=value pairs (merged into what is stored; name= removes one)')
    .addHelpText(
      'after',
      `
Examples:
  waggle channels set acme whatsapp appSecret=… verifyToken=… accessToken=…
  waggle channels set acme slack signingSecret=… botToken=xoxb-…
  waggle channels set acme telegram secretToken=… botToken=123456:ABC…`,
    )
    .action(
      userErrors(async (tenant: string, channel: string, fields: string[]) => {
        const name = channelName(channel);
        const values = parseFields(fields);
        await withStore(async (store) => {
          const saved = await store.set(tenant, name, values);
          console.log(`${tenant}/${name}: saved ${Object.keys(saved.settings).length} field(s)`);
          printOne(saved);
        });
      }),
    );

  channels
    .command('show [tenant] [channel]')
    .description('list stored channel credentials, secrets masked')
    .option('--json', 'print JSON (secrets still masked)')
    .action(
      userErrors(
        async (tenant: string | undefined, channel: string | undefined, opts: { json?: boolean }) => {
          const only = channel === undefined ? undefined : channelName(channel);
          await withStore(async (store) => {
            const all = (await store.list(tenant)).filter((c) => !only || c.channel === only);
            if (opts.json) {
              console.log(
                JSON.stringify(
                  all.map((c) => ({ ...c, settings: masked(c) })),
                  null,
                  2,
                ),
              );
              return;
            }
            if (all.length === 0) {
              console.log(
                tenant ? `no channel credentials for tenant "${tenant}"` : 'no channel credentials stored',
              );
              return;
            }
            for (const c of all) printOne(c);
          });
        },
      ),
    );

  channels
    .command('remove <tenant> <channel>')
    .description("delete a tenant's credentials for a channel (its webhooks are refused afterwards)")
    .action(
      userErrors(async (tenant: string, channel: string) => {
        const name = channelName(channel);
        await withStore(async (store) => {
          if (!(await store.remove(tenant, name))) {
            throw new CliError(`tenant "${tenant}" has no ${name} credentials`);
          }
          console.log(`${tenant}/${name}: removed`);
        });
      }),
    );
}

// Invalid input (unknown channel or tenant, a missing field) is the user's to fix: one line, exit 2.
function userErrors<A extends unknown[]>(
  action: (...args: A) => Promise<void>,
): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await action(...args);
    } catch (err) {
      if (err instanceof WaggleError && err.kind === 'invalid-input') throw new CliError(err.message);
      throw err;
    }
  };
}

function parseFields(fields: string[]): Record<string, string> {
  const values: Record<string, string> = {};
  for (const field of fields) {
    const eq = field.indexOf('=');
    if (eq <= 0) throw new CliError(`"${field}" is not name=value (e.g. signingSecret=abc)`);
    values[field.slice(0, eq)] = field.slice(eq + 1);
  }
  return values;
}

async function withStore(run: (store: ChannelCredentialStore) => Promise<void>): Promise<void> {
  const config = loadConfig();
  configureLogger({ level: 'warn', pretty: config.logPretty });
  await ensureDatabase(config.databaseUrl);
  const db: DataSource = createDataSource({
    url: config.databaseUrl,
    poolSize: 1,
    applicationName: 'waggle:cli',
  });
  await db.initialize();
  try {
    await migrate(db);
    await run(new ChannelCredentialStore(db));
  } finally {
    await db.destroy();
  }
}

function masked(c: ChannelCredentials): Record<string, string> {
  const fields = CREDENTIAL_FIELDS[c.channel];
  return Object.fromEntries(
    Object.entries(c.settings).map(([k, v]) => [
      k,
      fields.find((f) => f.name === k)?.secret === false ? v : maskSecret(v),
    ]),
  );
}

function printOne(c: ChannelCredentials): void {
  console.log(`${c.tenant}/${c.channel}  (updated ${c.updatedAt.toISOString()})`);
  for (const [k, v] of Object.entries(masked(c))) console.log(`  ${k} = ${v}`);
  console.log(`  webhook: POST /v1/channels/${c.channel}/${c.tenant}`);
}

function fieldHelp(): string {
  const lines = ['Fields per channel (* = required):'];
  for (const channel of CHANNELS) {
    const fields = CREDENTIAL_FIELDS[channel];
    if (fields.length === 0) continue;
    lines.push(`  ${channel}:`);
    for (const f of fields) lines.push(`    ${f.name}${f.required ? '*' : ''}  ${f.description}`);
  }
  return lines.join('\n');
}
