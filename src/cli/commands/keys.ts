import type { Command } from 'commander';
import { KeyStore } from '../../admission';
import { loadConfig, formatDuration } from '../../config';
import { CliError } from '../cli-error';
import { shortTime, withAdmissionDb } from './admission-db';

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

  keys
    .command('list')
    .description('list keys (never their secrets)')
    .option('--tenant <id>', 'only this tenant’s keys')
    .option('--json', 'print JSON')
    .action(async (opts: { tenant?: string; json?: boolean }) => {
      await withAdmissionDb(async (db) => {
        const all = await new KeyStore(db).list(opts.tenant);
        if (opts.json) {
          console.log(JSON.stringify(all, null, 2));
          return;
        }
        if (all.length === 0) {
          console.log('no keys: waggle keys create <tenant>');
          return;
        }
        console.log(
          ['KEY'.padEnd(18), 'TENANT'.padEnd(20), 'CREATED'.padEnd(21), 'STATE'.padEnd(8), 'LABEL'].join(' '),
        );
        for (const k of all) {
          console.log(
            [
              k.prefix.padEnd(18),
              k.tenant.padEnd(20),
              shortTime(k.createdAt).padEnd(21),
              (k.revokedAt ? 'revoked' : 'active').padEnd(8),
              k.label ?? '',
            ].join(' '),
          );
        }
      });
    });
}
