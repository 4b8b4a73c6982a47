import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../support';

const PAGE = 'docs/architecture.md';
const SECTION = '## Code map';

/** The folders named in the first column of the code map's table: rows of the form | `src/<name>` | … |. */
function tableFolders(markdown: string): string[] {
  const start = markdown.indexOf(`\n${SECTION}\n`);
  if (start < 0) throw new Error(`${PAGE}: no "${SECTION}" section`);
  const next = markdown.indexOf('\n## ', start + SECTION.length + 1);
  const section = markdown.slice(start, next < 0 ? undefined : next);
  return [...section.matchAll(/^\|\s*`src\/([^`/]+)\/?`\s*\|/gm)].map((m) => m[1] as string);
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

  it('names the folder missing from the table, the row without a folder and a repeated row', () => {
    const page = [
      '# Architecture',
      SECTION,
      '| folder | owns | may import |',
      '|---|---|---|',
      '| `src/config` | config | nothing |',
      '| `src/gone` | was removed | nothing |',
      '| `src/config` | again | nothing |',
      '## Outside `src/`',
      '| `src/ignored` | not in the code map | |',
    ].join('\n');
    expect(drift(tableFolders(page), ['config', 'fresh'])).to.deep.equal([
      `src/fresh is missing from the table in ${PAGE}`,
      `src/gone is in the table in ${PAGE} but there is no such folder`,
      `src/config has more than one row in the table in ${PAGE}`,
    ]);
  });
});
