import type { Command } from 'commander';
import { describeConfig, loadConfig, variablesMarkdown } from '../../config';

/** `waggle config`: shows the effective configuration, or the variable table as Markdown. */
export function registerConfig(program: Command): void {
  program
    .command('config')
    .description('check the WAGGLE_* environment and print the effective configuration (secrets hidden)')
    .option(
      '--markdown',
      'print the table of every variable, its default and meaning, as in docs/configuration.md',
    )
    .action((opts: { markdown?: boolean }) => {
      if (opts.markdown) {
        console.log(variablesMarkdown());
        return;
      }
      loadConfig();
      for (const { env, value } of describeConfig()) console.log(`${env}=${value}`);
    });
}
