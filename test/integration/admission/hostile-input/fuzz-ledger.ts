import type { Agent } from 'node:http';
import { expect } from 'chai';
import { autoTeardown, eventually, sampleEvent } from '../../../support';
import type { HostileRig } from './hostile-rig';
import { send, type Answer } from './raw-http';
import type { WritePath } from './write-paths';

const PROBLEM_JSON = 'application/problem+json';

// Taken before any request: a hostile body that reaches Object.prototype shows up as a new member here.
const PROTOTYPE_MEMBERS = Object.getOwnPropertyNames(Object.prototype).sort();

/**
 * A ledger for one test; with WAGGLE_FUZZ_REPORT set, its figures are printed after the test, passed or
 * failed.
 */
export function fuzzLedger(): FuzzLedger {
  const ledger = new FuzzLedger();
  if (process.env.WAGGLE_FUZZ_REPORT) {
    autoTeardown(() =>
      console.log(
        `    ${ledger.requests} requests\n${ledger
          .report()
          .map((l) => `      ${l}`)
          .join('\n')}`,
      ),
    );
  }
  return ledger;
}

/** What one test sent and what came back: statuses per category, events admitted, events refused. */
export class FuzzLedger {
  private readonly statuses = new Map<string, Map<number, number>>();
  /** Events the answers say were admitted (each was published to `events`). */
  published = 0;
  /** Ids of events that were refused: none of them may reach the broker. */
  readonly refusedIds = new Set<string>();

  record(category: string, answer: Answer, effect?: { published: number; refused: string[] }): void {
    const counts = this.statuses.get(category) ?? new Map<number, number>();
    counts.set(answer.status, (counts.get(answer.status) ?? 0) + 1);
    this.statuses.set(category, counts);
    if (!effect) return;
    this.published += effect.published;
    for (const id of effect.refused) this.refusedIds.add(id);
  }

  /** Requests recorded in every category. */
  get requests(): number {
    let n = 0;
    for (const counts of this.statuses.values()) for (const c of counts.values()) n += c;
    return n;
  }

  /** One line per category: `category: N requests (400×97, 202×3)`. */
  report(): string[] {
    return [...this.statuses].map(([category, counts]) => {
      const total = [...counts.values()].reduce((a, b) => a + b, 0);
      const byStatus = [...counts]
        .sort(([a], [b]) => a - b)
        .map(([status, n]) => `${status}×${n}`)
        .join(', ');
      return `${category}: ${total} requests (${byStatus})`;
    });
  }
}

/** Sends `body` (exact bytes) to a write path with its own headers, `headers` replacing some of them. */
export async function sendTo(
  rig: HostileRig,
  path: WritePath,
  body: Buffer,
  agent: Agent,
  headers: Record<string, string | undefined> = {},
): Promise<Answer> {
  const merged: Record<string, string> = {};
  for (const [name, value] of Object.entries({ ...path.headers(body), ...headers })) {
    if (value !== undefined) merged[name] = value;
  }
  return send(rig.url, { method: path.method, path: path.path, headers: merged, body }, agent);
}

/** What any request may be answered: never a 5xx; a 4xx is problem+json with its status, code and a detail. */
export function expectSafeAnswer(answer: Answer, what: string): void {
  const shown = `${what} → ${answer.status} ${answer.text.slice(0, 400)}`;
  expect(answer.status, shown).to.be.at.least(200).and.below(500);
  if (answer.status >= 400) expectProblem(answer.json, answer.status, shown, answer.contentType);
}

/** A problem body (a response's, or one batch item's) with this status, a code and a detail to act on. */
export function expectProblem(
  problem: Record<string, unknown> | undefined,
  status: number,
  what: string,
  contentType = PROBLEM_JSON,
): void {
  expect(contentType, what).to.contain(PROBLEM_JSON);
  expect(problem?.status, what).to.equal(status);
  expect(problem?.code, what).to.be.a('string');
  expect(problem?.detail, what).to.be.a('string').and.have.length.greaterThan(10);
}

/** The problem names `pointer`: in `errors[].pointer`, or in its detail (as is, or with \uXXXX escapes). */
export function expectNamesPointer(
  problem: Record<string, unknown> | undefined,
  pointer: string,
  what: string,
): void {
  const detail = String(problem?.detail ?? '').toLowerCase();
  const errors = (problem?.errors as Array<{ pointer?: unknown }> | undefined) ?? [];
  const spellings = [pointer, JSON.stringify(pointer).slice(1, -1), escaped(pointer)].map((s) =>
    s.toLowerCase(),
  );
  const named = errors.some((e) => e.pointer === pointer) || spellings.some((s) => detail.includes(s));
  expect(
    named,
    `${what}: the problem should name ${JSON.stringify(pointer)}: ${JSON.stringify(problem)}`,
  ).to.equal(true);
}

function escaped(text: string): string {
  return text.replace(
    // eslint-disable-next-line no-control-regex -- control characters are what it looks for
    /[\u0000-\u001f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/**
 * After the hostile requests: health is 200, a valid event is still admitted (202), the broker got exactly
 * the events the answers admitted and none that was refused, and no body reached Object.prototype.
 */
export async function expectPlatformUnharmed(
  rig: HostileRig,
  ledger: FuzzLedger,
  agent: Agent,
): Promise<void> {
  const health = await send(rig.url, { method: 'GET', path: '/v1/health' }, agent);
  expect(health.status, health.text).to.equal(200);
  const marker = sampleEvent(rig.tenant);
  const admitted = await send(
    rig.url,
    {
      path: '/v1/events',
      headers: { authorization: `Bearer ${rig.token}`, 'content-type': 'application/json' },
      body: JSON.stringify(marker),
    },
    agent,
  );
  expect(admitted.status, admitted.text).to.equal(202);
  // Every earlier admission was confirmed before its answer, so once the marker is in, all of them are.
  await eventually(
    () => rig.tap.messages.some((m) => m.properties.messageId === marker.id),
    'the valid event after the hostile ones reaches the events exchange',
  );
  const leaked = rig.tap.messages
    .map((m) => String(m.properties.messageId))
    .filter((id) => ledger.refusedIds.has(id));
  expect(leaked, 'refused events that were published anyway').to.deep.equal([]);
  expect(rig.tap.messages.length, 'events published (the admitted ones and the marker)').to.equal(
    ledger.published + 1,
  );
  expect(Object.getOwnPropertyNames(Object.prototype).sort()).to.deep.equal(PROTOTYPE_MEMBERS);
  expect(({} as Record<string, unknown>).polluted).to.equal(undefined);
}
