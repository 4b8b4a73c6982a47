import type { Command } from 'commander';
import { TenantStore } from '../../tenants';
import { CliError } from '../cli-error';
import { shortTime, withAdmissionDb } from './admission-db';
import { addListCommand } from './listing';

/** `waggle tenants create|list|disable|enable`. */
export function registerTenants(program: Command): void {
  const tenants = program
    .command('tenants')
    .description('create, list, disable and enable tenants (the first word of every routing key)');

  tenants
    .command('create <id>')
    .description('create a tenant; the id is 1-63 lowercase letters, digits or dashes (no dots)')
    .addHelpText(
      'after',
      `
Example:
  waggle tenants create acme
  waggle keys create acme          # then give the printed key to the tenant's integration`,
    )
    .action(async (id: string) => {
      await withAdmissionDb(async (db) => {
        const tenant = await new TenantStore(db).create(id);
        console.log(`created tenant ${tenant.id}`);
        console.log(`next: waggle keys create ${tenant.id}`);
      });
    });

  addListCommand(tenants, {
    description: 'list tenants',
    load: (db) => new TenantStore(db).list(),
    empty: 'no tenants yet: waggle tenants create <id>',
    headers: ['TENANT', 'CREATED', 'STATE'],
    widths: [24, 21],
    cells: (t) => [t.id, shortTime(t.createdAt), t.disabledAt ? 'disabled' : 'enabled'],
  });

  for (const [name, disabled] of [
    ['disable', true],
    ['enable', false],
  ] as const) {
    tenants
      .command(`${name} <id>`)
      .description(
        disabled
          ? "refuse the tenant's events (its keys answer 403) until it is enabled again"
          : 'accept the tenant’s events again',
      )
      .action(async (id: string) => {
        await withAdmissionDb(async (db) => {
          if (!(await new TenantStore(db).setDisabled(id, disabled))) {
            throw new CliError(`tenant "${id}" does not exist`);
          }
          console.log(
            `tenant ${id} ${disabled ? 'disabled' : 'enabled'} (ingress processes notice within WAGGLE_KEY_CACHE_TTL)`,
          );
        });
      });
  }
}
