import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml';

/** A parsed YAML file: its plain value and the problems (syntax, duplicate keys) found on the way. */
export interface YamlSource {
  value: unknown;
  problems: string[];
}

/**
 * Parses YAML text. Syntax errors name line and column; a key declared twice in one map is a problem
 * naming its path and both lines (a topology name must be unique), not silently "the last one wins".
 */
export function parseYaml(text: string): YamlSource {
  const lines = new LineCounter();
  const doc = parseDocument(text, { uniqueKeys: false, lineCounter: lines, prettyErrors: false });
  const problems: string[] = [];
  for (const err of doc.errors) {
    const pos = lines.linePos(err.pos[0]);
    const message = err.message.split('\n')[0] ?? err.message;
    problems.push(`line ${pos.line}, column ${pos.col}: ${message}, expected valid YAML`);
  }
  if (problems.length > 0) return { value: undefined, problems };
  findDuplicateKeys(doc.contents, '', lines, problems);
  return { value: doc.toJS({ maxAliasCount: 100 }), problems };
}

function findDuplicateKeys(node: Node | null, path: string, lines: LineCounter, problems: string[]): void {
  if (isMap(node)) {
    const seen = new Map<string, number>();
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      const line = isScalar(pair.key) && pair.key.range ? lines.linePos(pair.key.range[0]).line : 0;
      const childPath = path ? `${path}.${key}` : key;
      const first = seen.get(key);
      if (first !== undefined) {
        problems.push(
          `${childPath}: ${JSON.stringify(key)} is declared twice (lines ${first} and ${line}), expected each name once`,
        );
      } else seen.set(key, line);
      findDuplicateKeys(pair.value as Node | null, childPath, lines, problems);
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, i) => findDuplicateKeys(item as Node | null, `${path}[${i}]`, lines, problems));
  }
}
