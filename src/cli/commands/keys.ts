import type { Command } from 'commander';
import { KeyStore } from '../../tenants';
import { loadConfig, formatDuration } from '../../config';
import { CliError } from '../cli-error';
import { shortTime, withAdmissionDb } from './admission-db';
import { addListCommand } from './listing';

/** `waggle keys create|revoke|list`: tenant API keys for the HTTP ingress. */
export function registerKeys(program: Command): void {
  const keys = program
    .command('keys')
    .description('create, revoke and list tenant API keys (Authorization: Bearer <key> on /v1/events)');

  keys
    .command('create <tenant>')
    .description('create a key for a tenant and print it once (only its hash is stored)')
    .option('--label <text>', 'what the key is for, shown in `keys list`')
    .addHelpText(
      'after',
      `
Example:
  waggle keys create acme --label "web chat backend"
  curl -X POST localhost:8080/v1/events -H "Authorization: Bearer <key>" -H 'Content-Type: application/json' \\
    -d '{"specversion":"1.0","id":"e-1","source":"/demo","type":"message.received","channel":"webchat","sessionid":"s-1","data":{"text":"hi"}}'`,
    )
    .action(async (tenant: string, opts: { label?: string }) => {
      await withAdmissionDb(async (db) => {
        const { token, key } = await new KeyStore(db).create(tenant, opts.label);
        console.log(token);
        console.error(
          `created key ${key.prefix} for tenant ${key.tenant}; the line above is the only time it is shown — store it now`,
        );
      });
    });

  keys
    .command('revoke <key-id>')
    .description('revoke a key by its id (the wgl_<id> part shown by `keys list`)')
    .action(async (keyId: string) => {
      const ttl = formatDuration(loadConfig().keyCacheTtlMs);
      await withAdmissionDb(async (db) => {
        const key = await new KeyStore(db).revoke(keyId);
        if (!key) throw new CliError(`no key has the id "${keyId}"; see \`waggle keys list\``);
        console.log(
          `revoked key ${key.prefix} of tenant ${key.tenant}; ingress processes refuse it within ${ttl} (WAGGLE_KEY_CACHE_TTL)`,
        );
      });
    });

  addListCommand(keys, {
    description: 'list keys (never their secrets)',
    tenantOption: 'only this tenant’s keys',
    load: (db, tenant) => new KeyStore(db).list(tenant),
    empty: 'no keys: waggle keys create <tenant>',
    headers: ['KEY', 'TENANT', 'CREATED', 'STATE', 'LABEL'],
    widths: [18, 20, 21, 8],
    cells: (k) => [
      k.prefix,
      k.tenant,
      shortTime(k.createdAt),
      k.revokedAt ? 'revoked' : 'active',
      k.label ?? '',
    ],
  });
}
