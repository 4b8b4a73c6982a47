import fc from 'fast-check';
import { expect } from 'chai';
import { useTopologyVhost } from '../../../support';
import { expectPlatformUnharmed, expectSafeAnswer, fuzzLedger, sendTo, type FuzzLedger } from './fuzz-ledger';
import { hostileRig, type HostileRig } from './hostile-rig';
import {
  contentType,
  fuzzRuns,
  hostileNumber,
  MALFORMED_UTF8,
  malformedUtf8,
  nestedText,
  pointerOf,
  prototypeKey,
  spliced,
} from './hostile-values';
import { keepAliveAgent, type Answer } from './raw-http';
import { writePaths, type WritePath } from './write-paths';

/** One hostile body for a write path: its bytes, and what an answer to it must also satisfy. */
interface HostileBody {
  bytes: Buffer;
  /** The parsed body when it is JSON (for the ids of refused events), else undefined. */
  body?: unknown;
  headers?: Record<string, string | undefined>;
  expect?: (answer: Answer, what: string) => void;
}

/**
 * Bodies no client should send, on every write path: never a 5xx, every refusal a problem+json with a
 * detail, nothing refused reaches the broker, and the platform serves valid traffic afterwards.
 */
describe('hostile input: malformed and tricky bodies on every write path', function () {
  this.timeout(120_000);
  const vhost = useTopologyVhost('hostile-body');

  /** Sends `runs` bodies made by `make` for write paths drawn at random, checking each answer. */
  async function fuzz<T>(
    category: string,
    runs: number,
    input: fc.Arbitrary<T>,
    make: (path: WritePath, value: T) => HostileBody,
    paths: (all: WritePath[]) => WritePath[] = (all) => all,
  ): Promise<{ rig: HostileRig; ledger: FuzzLedger }> {
    const rig = await hostileRig(vhost.name);
    const agent = keepAliveAgent();
    const ledger = fuzzLedger();
    const targets = paths(await writePaths(rig));
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...targets.map((t) => t.name)), input, async (name, value) => {
        const path = targets.find((t) => t.name === name) as WritePath;
        const hostile = make(path, value);
        const answer = await sendTo(rig, path, hostile.bytes, agent, hostile.headers);
        ledger.record(`${category} → ${path.name}`, answer, path.outcome(answer, hostile.body));
        const what = `${category} → ${path.name} ${JSON.stringify(value)?.slice(0, 200)}`;
        expectSafeAnswer(answer, what);
        hostile.expect?.(answer, what);
      }),
      fuzzRuns(runs),
    );
    await expectPlatformUnharmed(rig, ledger, agent);
    return { rig, ledger };
  }

  it('malformed UTF-8 in a string or a member name: 400 wherever the body is read as JSON', async () => {
    const where = fc.record({ spot: fc.nat(), inName: fc.boolean(), bytes: malformedUtf8 });
    await fuzz('malformed UTF-8', 250, where, (path, { spot, inName, bytes }) => {
      const at = inName
        ? { inName: path.members[spot % path.members.length] as string }
        : { inString: (path.text[spot % path.text.length] as { at: string }).at };
      return {
        bytes: spliced(path.template(), at, Buffer.from(MALFORMED_UTF8[bytes] as number[])),
        expect: (answer, what) => {
          if (!path.checks.utf8) return;
          expect(answer.status, what).to.equal(400);
          expect(answer.json?.detail, what).to.match(/UTF-8/);
        },
      };
    });
  });

  it('deep nesting (up to 60,000 levels) in a member or as the whole body: refused, no stack overflow, no hang', async () => {
    const shape = fc.record({
      spot: fc.nat(),
      depth: fc.constantFrom(129, 1_000, 10_000, 60_000),
      shape: fc.constantFrom('arrays' as const, 'objects' as const, 'mixed' as const),
      whole: fc.boolean(),
    });
    await fuzz('deep nesting', 80, shape, (path, { spot, depth, shape: kind, whole }) => {
      const nested = nestedText(depth, kind);
      const member = pointerOf(path.members[spot % path.members.length] as string, ['deep']);
      return {
        bytes: whole ? Buffer.from(nested) : spliced(path.template(), { value: member }, nested),
        expect: (answer, what) => {
          if (path.checks.depth) expect(answer.status, what).to.be.oneOf([400, 413]);
        },
      };
    });
  });

  it('numbers a double cannot hold (1e400, 2^64, -0, 1,000 digits) as values and in place of text', async () => {
    const where = fc.record({ spot: fc.nat(), inText: fc.boolean(), number: hostileNumber });
    await fuzz('huge numbers', 200, where, (path, { spot, inText, number }) => {
      const at = inText
        ? { value: (path.text[spot % path.text.length] as { at: string }).at }
        : { value: pointerOf(path.members[spot % path.members.length] as string, ['n']) };
      return { bytes: spliced(path.template(), at, number) };
    });
  });

  it('duplicate member names, the first or the last one hostile', async () => {
    const where = fc.record({
      spot: fc.nat(),
      name: fc.oneof(fc.constantFrom('id', 'tenantid', 'type', 'text', 'url', 'status', 'data'), fc.string()),
      values: fc.array(fc.constantFrom('"other"', '1', 'null', '{}', '[]', '"x"', 'true'), {
        minLength: 2,
        maxLength: 3,
      }),
    });
    await fuzz('duplicate names', 150, where, (path, { spot, name, values }) => {
      const object = path.members[spot % path.members.length] as string;
      const members = values.map((v) => `${JSON.stringify(name)}:${v}`).join(',');
      return { bytes: spliced(path.template(), { members: object }, members) };
    });
  });

  it('__proto__, constructor and prototype as member names, at the top and deep: no pollution', async () => {
    const where = fc.record({
      spot: fc.nat(),
      name: prototypeKey,
      value: fc.constantFrom(
        '{"polluted":"yes"}',
        '{"prototype":{"polluted":"yes"}}',
        '"x"',
        '[1]',
        'null',
        '1',
      ),
    });
    await fuzz('prototype names', 200, where, (path, { spot, name, value }) => {
      const object = path.members[spot % path.members.length] as string;
      return { bytes: spliced(path.template(), { members: object }, `${JSON.stringify(name)}:${value}`) };
    });
  });

  it('wrong, missing and odd content types', async () => {
    await fuzz('content types', 150, contentType, (path, type) => {
      const body = path.template();
      return { bytes: Buffer.from(JSON.stringify(body)), body, headers: { 'content-type': type } };
    });
  });

  it('empty bodies, truncated JSON and JSON of the wrong shape', async () => {
    const malformed = fc.oneof(
      fc.record({ kind: fc.constant('truncated' as const), cut: fc.double({ min: 0, max: 1, noNaN: true }) }),
      fc.record({ kind: fc.constant('empty' as const) }),
      fc.record({
        kind: fc.constant('shape' as const),
        text: fc.constantFrom(
          '[]',
          '[1,2]',
          '"text"',
          '42',
          'null',
          'true',
          '{}',
          '[{}]',
          '[[[]]]',
          ' ',
          '\n',
        ),
      }),
    );
    await fuzz('malformed JSON', 300, malformed, (path, m) => {
      if (m.kind === 'empty') return { bytes: Buffer.alloc(0) };
      if (m.kind === 'shape') return { bytes: Buffer.from(m.text) };
      const text = Buffer.from(JSON.stringify(path.template()));
      const cut = 1 + Math.floor(m.cut * (text.length - 2));
      return {
        bytes: text.subarray(0, cut),
        expect: (answer, what) => expect(answer.status, what).to.equal(400),
      };
    });
  });
});
