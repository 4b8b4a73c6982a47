import { StartError } from '../roles';
import { TopologyInvalidError } from '../topology';

/** The one line `waggle start` prints when boot fails: what failed, where, and the variable behind it. */
export function startFailureLine(err: unknown, topologyFile: string): string {
  if (err instanceof StartError) return err.message;
  if (err instanceof TopologyInvalidError) {
    // Each problem already starts with the file's name; the full list is one command away.
    const [first, ...rest] = err.problems;
    const more =
      rest.length > 0
        ? `; and ${rest.length} more (\`waggle topology validate --file ${topologyFile}\` lists them all)`
        : '';
    return `invalid topology (WAGGLE_TOPOLOGY_FILE): ${first ?? topologyFile}${more}`;
  }
  const e = err as Error & { code?: string };
  const words = (e.message ?? String(err)).split('\n').join('; ');
  return `cannot start: ${e.code ? `${e.code}: ` : ''}${words}`;
}
