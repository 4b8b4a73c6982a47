import { CommanderError } from 'commander';
import { ConfigError, hidePasswords } from '../config';
import { CliError } from './cli-error';

/** Prints a command's failure as `waggle: …` line(s) on stderr and returns the exit status it calls for. */
export function reportFailure(err: unknown): number {
  if (err instanceof CommanderError) {
    // commander already printed help or its own one-line error
    return err.exitCode;
  }
  if (err instanceof ConfigError) {
    for (const line of err.problems) printFailure(line);
    return 2;
  }
  if (err instanceof CliError) {
    printFailure(err.message);
    return err.exitCode;
  }
  const e = err as Error & { code?: string };
  printFailure(`${e.code ? `${e.code}: ` : ''}${e.message ?? String(err)}`);
  return 1;
}

// A failure may quote a URL from the environment or a library's message: its password never reaches the screen.
function printFailure(line: string): void {
  console.error(`waggle: ${hidePasswords(line)}`);
}
