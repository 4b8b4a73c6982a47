import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import ts from 'typescript';

const ROOT = path.resolve(__dirname, '../..');
const SCANNED = ['src', 'consumers'];

/** Where the configuration may be loaded: the command line, the config room itself and the composition root. */
const MAY_LOAD_CONFIG = ['src/cli/', 'src/config/', 'src/roles/'];

/**
 * Module-level state kept on purpose, each with the reason it is not a dependency that should be handed in.
 * Keyed `file:name`.
 */
const ALLOWED_STATE: Record<string, string> = {
  'src/observability/logger.ts:root':
    'process-wide logging configuration: the one pino root that configureLogger sets at boot',
  'src/tools/tool-saga.ts:validators':
    'a pure cache of compiled argument validators keyed by the schema text: same schema, same function',
  'src/db/sql.ts:preparedTexts':
    'the prepared statements declared as their modules load, so that one name never stands for two texts (pg refuses a second text under a name a connection prepared)',
  'src/envelope/trace-context.ts:randomPool':
    'random bytes drawn ahead for new traceparents: it holds nothing of the platform, only bytes not handed out yet',
  'src/db/pool-guard.ts:guarded':
    'marks pools already guarded (a WeakSet: it keeps no pool alive), so guarding one twice adds no listener',
};

const COLLECTIONS = new Set(['Map', 'Set', 'WeakMap', 'WeakSet']);
const MUTATORS = new Set(['set', 'add', 'delete', 'clear']);

interface Finding {
  where: string;
  what: string;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const rel = `${dir}/${entry.name}`;
    if (entry.isDirectory()) return sourceFiles(rel);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [rel] : [];
  });
}

function lineOf(source: ts.SourceFile, node: ts.Node): number {
  return source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
}

// Names of the module-level collections that the file mutates anywhere (`name.set(`, `.add(`, `.delete(`, …).
function mutatedNames(source: ts.SourceFile): Set<string> {
  const names = new Set<string>();
  const visit = (node: ts.Node): void => {
    if (
      ts.isCallExpression(node) &&
      ts.isPropertyAccessExpression(node.expression) &&
      ts.isIdentifier(node.expression.expression) &&
      MUTATORS.has(node.expression.name.text)
    ) {
      names.add(node.expression.expression.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return names;
}

function findings(file: string): Finding[] {
  const text = readFileSync(path.join(ROOT, file), 'utf8');
  return findingsIn(file, ts.createSourceFile(file, text, ts.ScriptTarget.Latest));
}

function findingsIn(file: string, source: ts.SourceFile): Finding[] {
  const found: Finding[] = [];
  const at = (node: ts.Node) => `${file}:${lineOf(source, node)}`;

  if (!MAY_LOAD_CONFIG.some((dir) => file.startsWith(dir))) {
    const visit = (node: ts.Node): void => {
      if (ts.isCallExpression(node)) {
        const callee = node.expression;
        const name = ts.isIdentifier(callee)
          ? callee.text
          : ts.isPropertyAccessExpression(callee)
            ? callee.name.text
            : '';
        if (name === 'loadConfig') {
          found.push({ where: at(node), what: 'loadConfig() outside src/cli, src/config, src/roles' });
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }

  const mutated = mutatedNames(source);
  for (const statement of source.statements) {
    if (!ts.isVariableStatement(statement)) continue;
    const isLet = (statement.declarationList.flags & ts.NodeFlags.Let) !== 0;
    for (const declaration of statement.declarationList.declarations) {
      const name = declaration.name.getText(source);
      if (`${file}:${name}` in ALLOWED_STATE) continue;
      if (isLet) {
        found.push({ where: at(declaration), what: `module-level let ${name}` });
        continue;
      }
      const init = declaration.initializer;
      if (
        init &&
        ts.isNewExpression(init) &&
        ts.isIdentifier(init.expression) &&
        COLLECTIONS.has(init.expression.text) &&
        mutated.has(name)
      ) {
        found.push({
          where: at(declaration),
          what: `module-level new ${init.expression.text}() ${name} changed at run time`,
        });
      }
    }
  }
  return found;
}

describe('composition root: dependencies are handed in, never reached for', () => {
  const files = SCANNED.flatMap(sourceFiles);

  it('scans the source', () => {
    expect(files.length).to.be.greaterThan(100);
    expect(files).to.include('consumers/turn-processor.ts');
  });

  it('loads the config only in src/cli, src/config and src/roles, and keeps no mutable module-level state', () => {
    const all = files.flatMap(findings).map((f) => `${f.where}: ${f.what}`);
    expect(all, all.join('\n')).to.deep.equal([]);
  });

  it('keeps every allowed piece of module-level state where the allow-list says', () => {
    const missing = Object.keys(ALLOWED_STATE).filter((key) => {
      const [file, name] = key.split(':') as [string, string];
      const text = readFileSync(path.join(ROOT, file), 'utf8');
      return !new RegExp(`^(export )?(let|const) ${name}\\b`, 'm').test(text);
    });
    expect(missing, 'allow-list entries that no longer exist: remove them').to.deep.equal([]);
  });

  it('finds what it forbids', () => {
    const probe = (file: string, text: string): string[] => {
      const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest);
      return findingsIn(file, source).map((f) => f.what);
    };
    expect(probe('src/admin/x.ts', 'let starter: number | undefined;')).to.deep.equal([
      'module-level let starter',
    ]);
    expect(
      probe('src/admin/x.ts', 'const m = new Map();\nexport function f() { m.set(1, 2); }'),
    ).to.deep.equal(['module-level new Map() m changed at run time']);
    expect(
      probe('src/admin/x.ts', "const CODES = new Set(['a']);\nexport const f = (c: string) => CODES.has(c);"),
    ).to.deep.equal([]);
    expect(probe('consumers/x.ts', 'export const f = () => loadConfig().amqpUrl;')).to.deep.equal([
      'loadConfig() outside src/cli, src/config, src/roles',
    ]);
    expect(probe('src/roles/x.ts', 'export const f = () => loadConfig().amqpUrl;')).to.deep.equal([]);
  });
});
