import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Topology } from './model';
import { normalizeTopology } from './normalize';
import { schemaProblems } from './schema-validation';
import { semanticProblems } from './semantic-checks';
import { TopologyInvalidError } from './topology-errors';
import { parseYaml } from './yaml-source';

export interface LoadTopologyOptions {
  /** Directory handler module paths are relative to. @default the nearest directory above the file with a package.json */
  root?: string;
}

/**
 * Reads, parses and validates a topology file (YAML syntax, JSON Schema, then references, names,
 * retry tiers and handler modules). Throws TopologyInvalidError listing every problem as
 * `file: path: found, expected`.
 */
export async function loadTopology(file: string, options: LoadTopologyOptions = {}): Promise<Topology> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message;
    throw new TopologyInvalidError([`${file}: ${reason}, expected a topology YAML file`]);
  }
  return parseTopology(text, file, options);
}

/** Validates topology YAML text as if read from `file` (which names it in every problem line). */
export function parseTopology(text: string, file: string, options: LoadTopologyOptions = {}): Topology {
  const root = options.root ?? projectRoot(file);
  const parsed = parseYaml(text);
  if (parsed.value === undefined) throw new TopologyInvalidError(parsed.problems.map((p) => `${file}: ${p}`));
  const schema = schemaProblems(parsed.value ?? {});
  const topology = normalizeTopology(parsed.value, file, root);
  // A value the schema already rejected would only echo that problem in other words.
  const rejected = schema.map((p) => p.path);
  const semantic = semanticProblems(topology).filter(
    (line) =>
      !rejected.some(
        (o) => line.startsWith(`${o}: `) || line.startsWith(`${o}.`) || line.startsWith(`${o}[`),
      ),
  );
  const problems = [...parsed.problems, ...schema.map((p) => `${p.path}: ${p.text}`), ...semantic];
  if (problems.length > 0) throw new TopologyInvalidError(firstPerPath(problems).map((p) => `${file}: ${p}`));
  return topology;
}

// The schema and a semantic check can both trip over one bad value; the schema's line says it best.
function firstPerPath(problems: string[]): string[] {
  const seen = new Set<string>();
  return problems.filter((line) => {
    const path = line.slice(0, line.indexOf(': '));
    if (seen.has(path)) return false;
    seen.add(path);
    return true;
  });
}

function projectRoot(file: string): string {
  let dir = dirname(resolve(file));
  for (;;) {
    if (existsSync(resolve(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return process.cwd();
    dir = parent;
  }
}
