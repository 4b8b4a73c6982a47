import { expect } from 'chai';
import path from 'node:path';
import { AutoscaleConfigError, scalingGroups, type TopologyLike } from '../../../src/autoscale';
import { loadTopology, parseTopology } from '../../../src/topology';
import { REPO_ROOT } from '../../support';

// Any module on disk satisfies the topology's handler check; these tests only read the scaling fields.
const HANDLER = 'test/fixtures/autoscale/idle-worker.ts';

const turns = { name: 'turns', count: 8, queues: Array.from({ length: 8 }, (_, i) => `turns.p${i}`) };

describe('autoscale: consumer groups from the topology', () => {
  it('defaults: min 1, max = partition count for a partitioned consumer and 10 otherwise, drain 60 s', () => {
    const groups = scalingGroups({
      partitionGroups: [turns],
      consumers: [
        { name: 'turn-processor', partitions: 'turns' },
        { name: 'tool-runner', queue: 'tool.calls' },
      ],
    });
    expect(groups).to.deep.equal([
      {
        name: 'turn-processor',
        queues: turns.queues,
        partitions: 8,
        partitionGroup: 'turns',
        minWorkers: 1,
        maxWorkers: 8,
        targetDrainSeconds: 60,
      },
      { name: 'tool-runner', queues: ['tool.calls'], minWorkers: 1, maxWorkers: 10, targetDrainSeconds: 60 },
    ]);
  });

  it('reads `scale: { min, max, targetDrainSeconds }` and `scaling: { minWorkers, maxWorkers, … }`', () => {
    const [a, b] = scalingGroups({
      partitionGroups: [turns],
      consumers: [
        { name: 'a', partitions: 'turns', scale: { min: 2, max: 12, targetDrainSeconds: '30s' } },
        { name: 'b', queue: 'q', scaling: { minWorkers: 0, maxWorkers: 3, targetDrainSeconds: 15 } },
      ],
    });
    // max above the partition count is kept as declared: the policy clamps to partitions on its own.
    expect(a).to.include({ minWorkers: 2, maxWorkers: 12, targetDrainSeconds: 30, partitions: 8 });
    expect(b).to.include({ minWorkers: 0, maxWorkers: 3, targetDrainSeconds: 15 });
  });

  it('names the consumer, the field, the value and what is allowed when a bound is wrong', () => {
    const bad = (consumer: TopologyLike['consumers'][number]) => () =>
      scalingGroups({ partitionGroups: [turns], consumers: [consumer] });
    expect(bad({ name: 'x', partitions: 'nope' })).to.throw(
      AutoscaleConfigError,
      'consumers.x.partitions: "nope" is not a declared partition group',
    );
    expect(bad({ name: 'x' })).to.throw(
      AutoscaleConfigError,
      'consumers.x: has neither a queue nor partitions',
    );
    expect(bad({ name: 'x', queue: 'q', scale: { min: 5, max: 2 } })).to.throw(
      AutoscaleConfigError,
      'consumers.x.scale: min 5 is above max 2',
    );
    expect(bad({ name: 'x', queue: 'q', scale: { max: 0 } })).to.throw(
      AutoscaleConfigError,
      'consumers.x.scale.max: 0 is not an integer ≥ 1',
    );
    expect(bad({ name: 'x', queue: 'q', scaling: { minWorkers: 1.5 } })).to.throw(
      AutoscaleConfigError,
      'consumers.x.scaling.minWorkers: 1.5 is not an integer ≥ 0',
    );
    expect(bad({ name: 'x', queue: 'q', scale: { targetDrainSeconds: 'soon' } })).to.throw(
      AutoscaleConfigError,
      'consumers.x.scale.targetDrainSeconds: "soon" is not a positive number of seconds or a duration like "60s"',
    );
    expect(bad({ name: 'x', queue: 'q', scale: 4 })).to.throw(
      AutoscaleConfigError,
      'consumers.x.scale: 4 is not',
    );
  });

  it('reads the groups of a loaded topology: partition queues, resolved scale bounds, tenant copies', () => {
    const topology = parseTopology(
      `
version: 1
exchanges:
  turns: { type: x-consistent-hash, hashHeader: x-session }
  events: { type: topic }
queues:
  tool.calls: { bindings: [{ from: events, keys: ['*.*.tool.call.requested'] }] }
partitions:
  turns: { exchange: turns, count: 4 }
consumers:
  turn-processor: { partitions: turns, handler: ${HANDLER} }
  tool-runner: { queue: tool.calls, handler: ${HANDLER}, scale: { min: 2, max: 6 } }
tenants:
  bigco: { dedicated: [tool.calls] }
`,
      'waggle.yaml',
      { root: REPO_ROOT },
    );
    const groups = scalingGroups(topology, { targetDrainSeconds: 20 });
    expect(
      groups.map((g) => [
        g.name,
        g.queues,
        g.partitions ?? null,
        g.minWorkers,
        g.maxWorkers,
        g.targetDrainSeconds,
      ]),
    ).to.deep.equal([
      ['turn-processor', ['turns.p0', 'turns.p1', 'turns.p2', 'turns.p3'], 4, 1, 4, 20],
      ['tool-runner', ['tool.calls'], null, 2, 6, 20],
      ['tool-runner.bigco', ['tool.calls.bigco'], null, 2, 6, 20],
    ]);
  });

  it('every consumer of topology/waggle.yaml gets a group, partitioned ones one queue per partition', async () => {
    const topology = await loadTopology(path.join(REPO_ROOT, 'topology/waggle.yaml'));
    const groups = scalingGroups(topology);
    expect(groups.map((g) => g.name)).to.deep.equal(topology.consumers.map((c) => c.name));
    for (const g of groups) {
      expect(g.queues.length, g.name).to.be.above(0);
      if (g.partitions !== undefined) expect(g.queues).to.have.length(g.partitions);
    }
  });
});
