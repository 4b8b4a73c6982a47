import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { REPO_ROOT } from '../../support';

const TEST_ROOT = path.join(REPO_ROOT, 'test');
const KIT = path.join(TEST_ROOT, 'support');
const SELF = __filename;

// Names a hand-rolled poll-until helper goes by; object methods (a stream's waitFor) are not definitions here.
const HELPER_NAME = String.raw`(?:until|eventually|waitFor\w*|waitUntil|poll|pollUntil|retryUntil)`;
const HELPER_DEFINITION = new RegExp(
  String.raw`(?:\bfunction\s*\*?\s*${HELPER_NAME}\s*[(<])|(?:\b(?:const|let|var)\s+${HELPER_NAME}\s*(?::[^=]+)?=\s*(?:async\s*)?(?:function\b|\([^)]*\)\s*(?::[^=]+)?=>|[A-Za-z_$][\w$]*\s*=>))`,
);
// A loop whose condition reads the clock against a bound: `while (Date.now() < deadline)`, `for (…; Date.now() < …; …)`.
const CLOCK_LOOP = /\b(?:while|for)\s*\([^{]*Date\.now\(\)\s*(?:<|>)/;
// A deadline taken from the clock (`const deadline = Date.now() + 5_000`) …
const DEADLINE = /\b(?:const|let|var)\s+([A-Za-z_$][\w$]*)\s*=\s*Date\.now\(\)\s*\+/g;

/** Where `source` polls until something holds on its own instead of through the kit's `eventually`. */
export function ownPollLoops(source: string): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:])\/\/.*$/gm, '$1');
  const found: string[] = [];
  const helper = code.match(HELPER_DEFINITION);
  if (helper) found.push(`defines ${helper[0].trim()}`);
  const loop = code.match(CLOCK_LOOP);
  if (loop) found.push(`loops on the clock: ${loop[0]}`);
  for (const [, name] of code.matchAll(DEADLINE)) {
    // … checked against the clock again: the loop around it waits for something until then.
    const checked = new RegExp(
      String.raw`Date\.now\(\)\s*(?:<|>|<=|>=)\s*${name}\b|\b${name}\s*(?:<|>|<=|>=)\s*Date\.now\(\)`,
    );
    if (checked.test(code) && !found.includes(`waits for a deadline: ${name}`))
      found.push(`waits for a deadline: ${name}`);
  }
  return found;
}

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) return file === KIT ? [] : testFiles(file);
    return entry.name.endsWith('.ts') && file !== SELF ? [file] : [];
  });
}

describe('test kit: one eventually', () => {
  it('no test file outside test/support polls until something holds on its own', () => {
    const offenders = testFiles(TEST_ROOT).flatMap((file) =>
      ownPollLoops(readFileSync(file, 'utf8')).map((what) => `${path.relative(REPO_ROOT, file)}: ${what}`),
    );
    expect(offenders, 'use eventually from test/support instead').to.deep.equal([]);
  });

  it('recognises the shapes such a loop takes', () => {
    const loops = [
      'async function until(check: () => boolean) {}',
      'async function waitFor(check) {}',
      'async function waitForRows(db, table, n) {}',
      'const eventually = async (check: () => boolean) => {};',
      'const poll = async () => {};',
      'while (Date.now() < deadline) await sleep(10);',
      'while (!ready && Date.now() < until) await sleep(20);',
      'for (const deadline = Date.now() + 5_000; Date.now() < deadline; await sleep(250)) {}',
      'const deadline = Date.now() + 5_000;\nfor (;;) {\n  if (await check()) return;\n  if (Date.now() > deadline) throw new Error();\n}',
    ];
    for (const source of loops) expect(ownPollLoops(source), source).to.not.deep.equal([]);
  });

  it('leaves alone code that only reads the clock, waits through the kit or names a saga wait', () => {
    const fine = [
      "import { waitFor } from '../../../src/saga';\nreturn waitFor('payment.settled');",
      "await eventually(() => runs.length === 1, 'first turn started');",
      'await stream.waitFor(3);\nconst { waitFor } = tap;',
      'const at = Date.now() + 60_000;\nexpect(saga.wakeAt.getTime()).to.be.at.least(at);',
      'while (Date.now() - started < durationMs) await publishRound();',
      '// while (Date.now() < deadline) is what eventually does for you',
      'const untilReady = report.ready;',
    ];
    for (const source of fine) expect(ownPollLoops(source), source).to.deep.equal([]);
  });
});
