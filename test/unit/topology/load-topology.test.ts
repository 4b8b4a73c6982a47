import { expect } from 'chai';
import { loadTopology, parseTopology, TopologyInvalidError } from '../../../src/topology';

const FIXTURES = 'test/fixtures/topology';

async function problemsOf(file: string): Promise<string[]> {
  const err = await loadTopology(file).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, `${file} should be invalid`).to.be.instanceOf(TopologyInvalidError);
  const invalid = err as TopologyInvalidError;
  expect(invalid.code).to.equal('WAGGLE_TOPOLOGY_INVALID');
  return invalid.problems;
}

describe('topology: loadTopology', () => {
  it('accepts the shipped topology/waggle.yaml and resolves its partition group', async () => {
    const t = await loadTopology('topology/waggle.yaml');
    expect(t.exchanges.map((e) => e.name)).to.include.members([
      'events',
      'turns',
      'outbound',
      'streams',
      'waggle.admission',
    ]);
    expect(t.partitionGroups).to.deep.equal([
      {
        name: 'turns',
        exchange: 'turns',
        count: 8,
        hashHeader: 'x-session',
        queues: [
          'turns.p0',
          'turns.p1',
          'turns.p2',
          'turns.p3',
          'turns.p4',
          'turns.p5',
          'turns.p6',
          'turns.p7',
        ],
        type: 'quorum',
        singleActiveConsumer: true,
        retry: { attempts: 5, backoffMs: [1000, 5000, 30000] },
        parked: true,
        parkedQueue: 'turns.parked',
        deliveryLimit: undefined,
        description: t.partitionGroups[0]?.description,
      },
    ]);
    expect(t.producers.map((p) => p.name)).to.deep.equal(['gw-whatsapp', 'gw-telegram']);
    expect(t.tenants).to.deep.equal([
      { tenant: 'bigco', dedicated: ['tool.calls'], description: 'large tenant with dedicated tool workers' },
    ]);
  });

  it('resolves consumers with every default filled in, plus a copy per dedicated tenant queue', async () => {
    const t = await loadTopology(`${FIXTURES}/valid.yaml`);
    expect(t.consumers).to.deep.equal([
      {
        name: 'chat-worker',
        queue: undefined,
        partitions: 'chats',
        handler: 'test/fixtures/topology/handlers/echo-handler.ts',
        concurrency: 16,
        ordering: 'session',
        onBusy: 'supersede',
        prefetch: 100,
        retry: { attempts: 1, backoffMs: [] },
        parkedQueue: 'chats.parked',
        scale: { min: 1, max: 3, targetDrainSeconds: 30 },
        description: undefined,
      },
      {
        name: 'job-worker',
        queue: 'jobs',
        partitions: undefined,
        handler: 'test/fixtures/topology/handlers/echo-handler',
        concurrency: 10,
        ordering: 'none',
        onBusy: 'queue',
        prefetch: 100,
        retry: { attempts: 4, backoffMs: [500, 2000, 60000] },
        parkedQueue: 'jobs.parked',
        scale: { min: 1, max: 10 },
        description: undefined,
      },
      {
        name: 'job-worker.bigco',
        queue: 'jobs.bigco',
        partitions: undefined,
        handler: 'test/fixtures/topology/handlers/echo-handler',
        concurrency: 10,
        ordering: 'none',
        onBusy: 'queue',
        prefetch: 100,
        retry: { attempts: 4, backoffMs: [500, 2000, 60000] },
        parkedQueue: 'jobs.bigco.parked',
        scale: { min: 1, max: 10 },
        tenant: 'bigco',
        description: undefined,
      },
    ]);
  });

  it('names file, path, what was found and what was expected (the duration example)', async () => {
    expect(await problemsOf(`${FIXTURES}/bad-duration.yaml`)).to.deep.equal([
      `${FIXTURES}/bad-duration.yaml: queues.tool.calls.retry.backoff[2]: "30" is not a duration like "30s"`,
    ]);
  });

  it('reports unknown keys with the keys allowed there', async () => {
    expect(await problemsOf(`${FIXTURES}/unknown-key.yaml`)).to.deep.equal([
      `${FIXTURES}/unknown-key.yaml: exchanges.ingest.durabel: unknown key "durabel", expected one of type, hashHeader, internal, alternateExchange, arguments, bindings, description`,
      `${FIXTURES}/unknown-key.yaml: queues.jobs.retires: unknown key "retires", expected one of type, bindings, retry, parked, deliveryLimit, singleActiveConsumer, arguments, description`,
    ]);
  });

  it('reports bindings, partition groups and consumers pointing at undeclared objects', async () => {
    expect(await problemsOf(`${FIXTURES}/undeclared-references.yaml`)).to.deep.equal([
      `${FIXTURES}/undeclared-references.yaml: queues.jobs.bindings[0].from: "ingst" is not a declared exchange (one of ingest)`,
      `${FIXTURES}/undeclared-references.yaml: partitions.chats.exchange: "sessions" is not a declared exchange (one of ingest)`,
      `${FIXTURES}/undeclared-references.yaml: consumers.job-worker.queue: "job" is not a declared queue`,
    ]);
  });

  it('reports a name declared twice and a declared queue that collides with a generated one', async () => {
    expect(await problemsOf(`${FIXTURES}/duplicate-names.yaml`)).to.deep.equal([
      `${FIXTURES}/duplicate-names.yaml: queues.mail: "mail" is declared twice (lines 8 and 9), expected each name once`,
      `${FIXTURES}/duplicate-names.yaml: queues.jobs.parked: queue "jobs.parked" is also the parking lot of jobs, expected each queue name once`,
    ]);
  });

  it('reports a partition count below 1', async () => {
    expect(await problemsOf(`${FIXTURES}/bad-partitions.yaml`)).to.deep.equal([
      `${FIXTURES}/bad-partitions.yaml: partitions.chats.count: 0 is not a partition count from 1 to 1024`,
    ]);
  });

  it('reports a consistent-hash exchange without a hash header', async () => {
    expect(await problemsOf(`${FIXTURES}/hash-without-header.yaml`)).to.deep.equal([
      `${FIXTURES}/hash-without-header.yaml: exchanges.sessions.hashHeader: missing, expected the header to hash on (e.g. x-session) for an x-consistent-hash exchange`,
    ]);
  });

  it('reports every retry tier that is not longer than the one before', async () => {
    expect(await problemsOf(`${FIXTURES}/retry-not-increasing.yaml`)).to.deep.equal([
      `${FIXTURES}/retry-not-increasing.yaml: queues.jobs.retry.backoff[1]: "1s" is not longer than the tier before it ("5s"), expected increasing delays`,
      `${FIXTURES}/retry-not-increasing.yaml: queues.jobs.retry.backoff[2]: "1s" is not longer than the tier before it ("1s"), expected increasing delays`,
    ]);
  });

  it('reports a consumer whose handler module does not exist', async () => {
    expect(await problemsOf(`${FIXTURES}/missing-handler.yaml`)).to.deep.equal([
      `${FIXTURES}/missing-handler.yaml: consumers.job-worker.handler: "consumers/no-such-handler.ts" does not exist, expected a module path relative to the project root (where package.json is)`,
    ]);
  });

  it('reports all problems of a file at once, schema and semantic alike', async () => {
    const file = `${FIXTURES}/many-problems.yaml`;
    expect(await problemsOf(file)).to.have.members([
      `${file}: partitions.chats.count: 0 is not a partition count from 1 to 1024`,
      `${file}: consumers.job-worker.ordering: "sideways" is not session or none`,
      `${file}: exchanges.sessions.hashHeader: missing, expected the header to hash on (e.g. x-session) for an x-consistent-hash exchange`,
      `${file}: queues.jobs.bindings[0].from: "nowhere" is not a declared exchange (one of ingest, sessions)`,
      `${file}: queues.jobs.retry.backoff[1]: "5s" is not longer than the tier before it ("10s"), expected increasing delays`,
      `${file}: consumers.job-worker.handler: "consumers/missing.ts" does not exist, expected a module path relative to the project root (where package.json is)`,
    ]);
  });

  it('reports YAML syntax errors with line and column', () => {
    const text = 'version: 1\nqueues:\n  jobs: { bindings: [\nexchanges:\n  ingest: { type: topic }\n';
    expect(() => parseTopology(text, 'broken.yaml'))
      .to.throw(TopologyInvalidError)
      .with.property('problems')
      .that.satisfies(
        (problems: string[]) =>
          problems.length > 0 &&
          problems.every((p) => /^broken\.yaml: line 4, column 1: .*, expected valid YAML$/.test(p)),
      );
  });

  it('reports a missing file as one line', async () => {
    expect(await problemsOf(`${FIXTURES}/nope.yaml`)).to.deep.equal([
      `${FIXTURES}/nope.yaml: no such file, expected a topology YAML file`,
    ]);
  });

  it('checks what the schema cannot: references, consumer shape, retry sense, derived arguments', () => {
    const text = `
version: 1
exchanges:
  ev: { type: topic, hashHeader: x-session, alternateExchange: gone, bindings: [{ from: ev, keys: [a] }] }
  fan: { type: fanout }
  hash: { type: x-consistent-hash, hashHeader: x-session }
queues:
  a:
    bindings: [{ from: ev }, { from: hash, keys: [heavy] }]
    retry: { attempts: 2, backoff: [1s, 2s] }
    arguments: { x-queue-type: classic }
  b:
    type: classic
    deliveryLimit: 3
    retry: { attempts: 3 }
  c:
    parked: false
    retry: { attempts: 2, backoff: [1s] }
  d:
    bindings: [{ from: fan }]
  e:
    bindings:
      - { from: fan, subscriptions: webhooks }
      - { from: ev, keys: ['*.*.x'], subscriptions: webhooks }
partitions:
  p1: { exchange: ev, count: 2 }
  p2: { exchange: hash, count: 2 }
  p3: { exchange: hash, count: 2 }
consumers:
  both: { queue: a, partitions: p2, handler: test/fixtures/topology/handlers/echo-handler.ts }
  neither: { handler: test/fixtures/topology/handlers/echo-handler.ts }
  wrong-order: { queue: a, ordering: session, handler: test/fixtures/topology/handlers/echo-handler.ts }
  wrong-busy: { queue: a, onBusy: supersede, handler: test/fixtures/topology/handlers/echo-handler.ts }
  scaled: { partitions: p2, scale: { min: 5, max: 2 }, handler: test/fixtures/topology/handlers/echo-handler.ts }
  greedy: { queue: a, concurrency: 4, tenantConcurrency: 6, handler: test/fixtures/topology/handlers/echo-handler.ts }
  shared-turns: { partitions: p2, tenantConcurrency: 2, handler: test/fixtures/topology/handlers/echo-handler.ts }
producers:
  gw: { passwordEnv: GW_PASSWORD, tenants: [acme], channels: [web], exchange: fan }
tenants:
  big: { dedicated: [d, nope] }
`;
    const err = (() => {
      try {
        parseTopology(text, 'inline.yaml');
      } catch (e) {
        return e as TopologyInvalidError;
      }
      throw new Error('expected the topology to be invalid');
    })();
    expect(err.problems).to.have.members([
      'inline.yaml: exchanges.ev.hashHeader: "x-session" on a topic exchange, expected hashHeader only on x-consistent-hash exchanges',
      'inline.yaml: exchanges.ev.alternateExchange: "gone" is not a declared exchange (one of ev, fan, hash)',
      'inline.yaml: exchanges.ev.bindings[0].from: "ev" is the exchange itself, expected another exchange',
      'inline.yaml: queues.a.bindings[0].keys: missing, expected routing keys for topic exchange "ev"',
      'inline.yaml: queues.a.bindings[1].keys[0]: "heavy" is not a weight, expected a positive integer for consistent-hash exchange "hash"',
      'inline.yaml: queues.a.retry.backoff: 2 delays for 1 retries (attempts: 2), expected at most attempts - 1 delays',
      'inline.yaml: queues.a.arguments.x-queue-type: "x-queue-type" is derived by waggle, expected it set through type',
      'inline.yaml: queues.b.retry.backoff: missing for 2 retries, expected at least one delay like [1s, 5s, 30s]',
      'inline.yaml: queues.b.deliveryLimit: 3 on a classic queue, expected deliveryLimit only on quorum queues',
      'inline.yaml: queues.c.retry: a retry policy with parked: false, expected a parking lot for messages that run out of attempts',
      'inline.yaml: queues.e.bindings[0].subscriptions: from fanout exchange "fan", expected a topic exchange (keys are <tenant>.*.<event-type pattern>)',
      'inline.yaml: queues.e.bindings[1].keys: given with subscriptions, expected either keys or subscriptions',
      'inline.yaml: partitions.p1.exchange: "ev" is a topic exchange, expected an x-consistent-hash exchange',
      'inline.yaml: partitions.p3.exchange: "hash" already feeds partition group "p2", expected one group per hash exchange',
      'inline.yaml: consumers.both: both queue "a" and partitions "p2", expected exactly one of them',
      'inline.yaml: consumers.neither: neither queue nor partitions, expected exactly one of them',
      'inline.yaml: consumers.wrong-order.ordering: "session" on a plain queue, expected ordering: session only with partitions (ordered consumers retry in place)',
      'inline.yaml: consumers.wrong-busy.onBusy: "supersede" without ordering: session, expected it only on ordered consumers',
      'inline.yaml: consumers.scaled.scale: min 5 above max 2, expected min ≤ max',
      "inline.yaml: consumers.greedy.tenantConcurrency: 6 above its concurrency 4, expected at most the consumer's concurrency",
      'inline.yaml: consumers.shared-turns.tenantConcurrency: set on an ordered consumer, expected it only on unordered queue consumers (ordered ones run a session at a time)',
      'inline.yaml: producers.gw.exchange: "fan" is a fanout exchange, expected a topic exchange (topic permissions only apply there)',
      'inline.yaml: tenants.big.dedicated[1]: "nope" is not a declared queue (one of a, b, c, d, e)',
    ]);
  });

  it('reads the workflows: section (type → module) and names a module that does not exist, or a bad type', () => {
    const ok = parseTopology(
      'version: 1\nworkflows:\n  nap: { module: test/fixtures/workflows/nap.ts, description: sleeps }\n',
      'inline.yaml',
      { root: '.' },
    );
    expect(ok.workflows).to.deep.equal([
      { type: 'nap', module: 'test/fixtures/workflows/nap.ts', description: 'sleeps' },
    ]);
    const text =
      'version: 1\nworkflows:\n  gone: { module: examples/workflows/gone.ts }\n  Bad_Type: { module: x.ts }\n';
    expect(() => parseTopology(text, 'inline.yaml', { root: '.' }))
      .to.throw(TopologyInvalidError)
      .with.property('problems')
      .that.deep.equals([
        'inline.yaml: workflows.Bad_Type: "Bad_Type" is not a saga type of dotted lowercase words, like bundle-publish',
        'inline.yaml: workflows.gone.module: "examples/workflows/gone.ts" does not exist, expected a module path relative to the project root (where package.json is)',
      ]);
  });
});
