import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../support';

const PAGE = 'docs/architecture.md';
const SECTION = '## Code map';

/** The code map section of the page, up to the next heading of its level. */
function codeMapSection(markdown: string): string {
  const start = markdown.indexOf(`\n${SECTION}\n`);
  if (start < 0) throw new Error(`${PAGE}: no "${SECTION}" section`);
  const next = markdown.indexOf('\n## ', start + SECTION.length + 1);
  return markdown.slice(start, next < 0 ? undefined : next);
}

/** A page whose code map table has these rows (and `after` following the table), for the tests of the checks. */
function pageWith(rows: string[], after: string[] = []): string {
  return [
    '# Architecture',
    SECTION,
    '| folder | owns | may import |',
    '|---|---|---|',
    ...rows,
    ...after,
  ].join('\n');
}

/** The folders named in the first column of the code map's table: rows of the form | `src/<name>` | … |. */
function tableFolders(markdown: string): string[] {
  const section = codeMapSection(markdown);
  return [...section.matchAll(/^\|\s*`src\/([^`/]+)\/?`\s*\|/gm)].map((m) => m[1] as string);
}

/** Each row's folder and the src/ folders its "may import" cell allows ("every folder above" = earlier rows). */
function allowedImports(markdown: string): Map<string, Set<string>> {
  const section = codeMapSection(markdown);
  const allowed = new Map<string, Set<string>>();
  for (const m of section.matchAll(/^\|\s*`src\/([^`/]+)\/?`\s*\|[^|\n]*\|([^\n]*)\|\s*$/gm)) {
    const cell = m[2] as string;
    const names = [...cell.matchAll(/`src\/([^`/]+)\/?`/g)].map((n) => n[1] as string);
    if (/every folder above/.test(cell)) names.push(...allowed.keys());
    allowed.set(m[1] as string, new Set(names));
  }
  return allowed;
}

/** The src/ folders that each folder's files import (relative imports that leave the folder). */
function actualImports(): Map<string, Set<string>> {
  const imports = new Map<string, Set<string>>();
  const folders = srcFolders();
  for (const folder of folders) {
    const found = new Set<string>();
    const walk = (dir: string): void => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const file = path.join(dir, e.name);
        if (e.isDirectory()) walk(file);
        else if (e.name.endsWith('.ts')) {
          const text = readFileSync(file, 'utf8');
          for (const m of text.matchAll(/(?:from|import\()\s*'(\.\.?\/[^']*)'/g)) {
            const target = path.relative(path.join(REPO_ROOT, 'src'), path.resolve(dir, m[1] as string));
            const top = target.split(path.sep)[0] as string;
            if (top !== folder && folders.includes(top)) found.add(top);
          }
        }
      }
    };
    walk(path.join(REPO_ROOT, 'src', folder));
    imports.set(folder, found);
  }
  return imports;
}

/** Imports the table does not allow, one line each; empty when the code keeps to the map. */
function strayImports(allowed: Map<string, Set<string>>, actual: Map<string, Set<string>>): string[] {
  const problems: string[] = [];
  for (const [folder, targets] of [...actual].sort(([a], [b]) => a.localeCompare(b))) {
    for (const target of [...targets].sort()) {
      if (!allowed.get(folder)?.has(target))
        problems.push(
          `src/${folder} imports src/${target}, which its row in ${PAGE} does not list under "may import"`,
        );
    }
  }
  return problems;
}

/** Every folder directly under src/. */
function srcFolders(): string[] {
  return readdirSync(path.join(REPO_ROOT, 'src'), { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name);
}

/** What is wrong between the table and src/, one line per folder; empty when they agree. */
function drift(table: string[], src: string[]): string[] {
  const problems: string[] = [];
  for (const name of src.filter((n) => !table.includes(n)).sort())
    problems.push(`src/${name} is missing from the table in ${PAGE}`);
  for (const name of table.filter((n) => !src.includes(n)).sort())
    problems.push(`src/${name} is in the table in ${PAGE} but there is no such folder`);
  for (const name of [...new Set(table.filter((n, i) => table.indexOf(n) !== i))].sort())
    problems.push(`src/${name} has more than one row in the table in ${PAGE}`);
  return problems;
}

describe('docs: architecture.md', () => {
  it('has one row in the code map for every folder under src/, and none for a folder that does not exist', () => {
    const page = readFileSync(path.join(REPO_ROOT, PAGE), 'utf8');
    expect(drift(tableFolders(page), srcFolders())).to.deep.equal([]);
  });

  it('lists under "may import" every src/ folder that a folder imports', () => {
    const page = readFileSync(path.join(REPO_ROOT, PAGE), 'utf8');
    expect(strayImports(allowedImports(page), actualImports())).to.deep.equal([]);
  });

  it('reads "every folder above" as the rows before and names an import the row does not allow', () => {
    const page = pageWith([
      '| `src/config` | config | nothing |',
      '| `src/db` | pool | `src/config` |',
      '| `src/roles` | root | every folder above |',
    ]);
    const actual = new Map([
      ['config', new Set<string>()],
      ['db', new Set(['config', 'roles'])],
      ['roles', new Set(['config', 'db'])],
    ]);
    expect(strayImports(allowedImports(page), actual)).to.deep.equal([
      `src/db imports src/roles, which its row in ${PAGE} does not list under "may import"`,
    ]);
  });

  it('names the folder missing from the table, the row without a folder and a repeated row', () => {
    const page = pageWith(
      [
        '| `src/config` | config | nothing |',
        '| `src/gone` | was removed | nothing |',
        '| `src/config` | again | nothing |',
      ],
      ['## Outside `src/`', '| `src/ignored` | not in the code map | |'],
    );
    expect(drift(tableFolders(page), ['config', 'fresh'])).to.deep.equal([
      `src/fresh is missing from the table in ${PAGE}`,
      `src/gone is in the table in ${PAGE} but there is no such folder`,
      `src/config has more than one row in the table in ${PAGE}`,
    ]);
  });
});
