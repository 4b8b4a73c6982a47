import { expect } from 'chai';
import {
  ConsumerConfigError,
  DEFAULT_CONCURRENCY,
  defineConsumer,
  isConsumerDefinition,
  resolveConsumerSettings,
} from '../../../src/consumer';

const noop = async () => undefined;

describe('consumer: defineConsumer and its settings', () => {
  it('returns a frozen definition that the workers role recognises', () => {
    const def = defineConsumer({ name: 'tool-runner', queue: 'tool.calls', handle: noop });
    expect(isConsumerDefinition(def)).to.equal(true);
    expect(Object.isFrozen(def)).to.equal(true);
    expect(isConsumerDefinition({ name: 'x', handle: noop })).to.equal(false);
  });

  it('names every problem of a bad definition at once', () => {
    expect(() =>
      defineConsumer({
        name: 'Bad Name',
        queue: 'a',
        partitions: 'b',
        concurrency: 0,
        handle: noop,
      }),
    ).to.throw(TypeError, /name: .*; queue and partitions: .*; concurrency: 0/);
  });

  it('orders partitions by session and queues not at all, unless told otherwise', () => {
    const partitioned = resolveConsumerSettings(
      defineConsumer({ name: 'p', partitions: 'turns', handle: noop }),
      {
        group: { name: 'turns', count: 2, queues: ['turns.p0', 'turns.p1'] },
        defaultPrefetch: 100,
      },
    );
    expect(partitioned).to.deep.include({
      ordering: 'session',
      onBusy: 'queue',
      retryMode: 'in-place',
      parkedQueue: 'turns.parked',
      concurrency: DEFAULT_CONCURRENCY,
      prefetch: 100,
      transactional: true,
    });
    expect(partitioned.source).to.deep.equal({
      kind: 'partitions',
      group: 'turns',
      queues: ['turns.p0', 'turns.p1'],
    });
    const queue = resolveConsumerSettings(
      defineConsumer({ name: 'q', queue: 'tool.calls', transactional: false, handle: noop }),
      { defaultPrefetch: 10 },
    );
    expect(queue).to.deep.include({ ordering: 'none', retryMode: 'tiers', parkedQueue: 'tool.calls.parked' });
    expect(queue.transactional).to.equal(false);
  });

  it('takes the binding from the topology and its retry policy over the module defaults', () => {
    const def = defineConsumer({
      name: 'tool-runner',
      queue: 'elsewhere',
      retry: { attempts: 2, backoff: ['1s'] },
      handle: noop,
    });
    const s = resolveConsumerSettings(def, {
      binding: {
        name: 'tool-runner.bigco',
        queue: 'tool.calls.bigco',
        concurrency: 32,
        prefetch: 64,
        retry: { attempts: 5, backoffMs: [1_000, 5_000] },
      },
      defaultPrefetch: 100,
    });
    expect(s).to.deep.include({ name: 'tool-runner.bigco', concurrency: 32, prefetch: 64 });
    expect(s.source).to.deep.equal({ kind: 'queue', queue: 'tool.calls.bigco' });
    expect(s.retry).to.deep.equal({ attempts: 5, backoffMs: [1_000, 5_000] });
    const own = resolveConsumerSettings(def, { defaultPrefetch: 100 });
    expect(own.retry).to.deep.equal({ attempts: 2, backoffMs: [1_000] });
  });

  it('refuses a topology whose onBusy does not fit the handler module', () => {
    const queueing = defineConsumer({ name: 'turns', partitions: 'turns', handle: noop });
    expect(() =>
      resolveConsumerSettings(queueing, {
        binding: { name: 'turns', partitions: 'turns', onBusy: 'supersede' },
        group: { name: 'turns', count: 1, queues: ['turns.p0'] },
        defaultPrefetch: 1,
      }),
    ).to.throw(ConsumerConfigError, /supersede/);
    const superseding = defineConsumer({
      name: 'turns',
      partitions: 'turns',
      onBusy: 'supersede',
      handle: noop,
    });
    expect(() =>
      resolveConsumerSettings(superseding, {
        binding: { name: 'turns', partitions: 'turns', onBusy: 'queue' },
        group: { name: 'turns', count: 1, queues: ['turns.p0'] },
        defaultPrefetch: 1,
      }),
    ).to.throw(ConsumerConfigError, /onBusy is "queue" in the topology but "supersede"/);
  });

  it('refuses a consumer of nothing and an undeclared partition group', () => {
    expect(() =>
      resolveConsumerSettings(defineConsumer({ name: 'x', handle: noop }), { defaultPrefetch: 1 }),
    ).to.throw(ConsumerConfigError, /consumes nothing/);
    expect(() =>
      resolveConsumerSettings(defineConsumer({ name: 'x', partitions: 'nope', handle: noop }), {
        defaultPrefetch: 1,
      }),
    ).to.throw(ConsumerConfigError, /"nope" is not declared/);
  });
});
