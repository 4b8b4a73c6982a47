import type { Command } from 'commander';
import { loadConfig } from '../../config';
import { createDataSource, ensureDatabase, migrate } from '../../db';
import { configureLogger } from '../../observability';

/** `waggle migrate`: creates the database if needed and runs pending migrations. */
export function registerMigrate(program: Command): void {
  program
    .command('migrate')
    .description('create the database if missing and run pending migrations (start does this too)')
    .action(async () => {
      const config = loadConfig();
      configureLogger({ level: 'warn', pretty: config.logPretty });
      const created = await ensureDatabase(config.databaseUrl);
      const db = createDataSource({ url: config.databaseUrl, poolSize: 1 });
      await db.initialize();
      try {
        const ran = await migrate(db);
        if (created) console.log(`created database ${new URL(config.databaseUrl).pathname.slice(1)}`);
        console.log(
          ran.length ? `applied ${ran.length} migration(s): ${ran.join(', ')}` : 'database is up to date',
        );
      } finally {
        await db.destroy();
      }
    });
}
