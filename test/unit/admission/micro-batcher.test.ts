import { expect } from 'chai';
import { MicroBatcher } from '../../../src/admission';

describe('admission: MicroBatcher', () => {
  it('groups what arrives while a flush runs into the next flush, in submission order', async () => {
    const flushed: number[][] = [];
    let release: () => void = () => undefined;
    const batcher = new MicroBatcher<number, string>({
      maxBatch: 100,
      maxQueue: 1000,
      onFull: () => new Error('full'),
      flush: async (items) => {
        flushed.push(items);
        if (flushed.length === 1) await new Promise<void>((r) => (release = r));
        return items.map((i) => `r${i}`);
      },
    });
    const first = batcher.submit(0);
    await new Promise((r) => setImmediate(r));
    const rest = [1, 2, 3, 4].map((i) => batcher.submit(i));
    expect(batcher.waiting).to.equal(4);
    release();
    expect(await Promise.all([first, ...rest])).to.deep.equal(['r0', 'r1', 'r2', 'r3', 'r4']);
    expect(flushed).to.deep.equal([[0], [1, 2, 3, 4]]);
  });

  it('caps a flush at maxBatch items', async () => {
    const sizes: number[] = [];
    const batcher = new MicroBatcher<number, number>({
      maxBatch: 3,
      maxQueue: 100,
      onFull: () => new Error('full'),
      flush: async (items) => {
        sizes.push(items.length);
        return items;
      },
    });
    await Promise.all(Array.from({ length: 8 }, (_, i) => batcher.submit(i)));
    expect(sizes).to.deep.equal([3, 3, 2]);
  });

  it('refuses at once when the waiting queue is full', async () => {
    const batcher = new MicroBatcher<number, number>({
      maxBatch: 10,
      maxQueue: 2,
      onFull: () => new Error('queue full'),
      flush: async (items) => items,
    });
    const ok = [batcher.submit(1), batcher.submit(2)];
    await expect(batcher.submit(3)).to.be.rejectedWith('queue full');
    expect(await Promise.all(ok)).to.deep.equal([1, 2]);
  });

  it('fails every item of a batch whose flush throws, and goes on with the next batch', async () => {
    let calls = 0;
    const batcher = new MicroBatcher<number, number>({
      maxBatch: 2,
      maxQueue: 10,
      onFull: () => new Error('full'),
      flush: async (items) => {
        calls += 1;
        if (calls === 1) throw new Error('db down');
        return items;
      },
    });
    const results = await Promise.allSettled([1, 2, 3].map((i) => batcher.submit(i)));
    expect(results.map((r) => r.status)).to.deep.equal(['rejected', 'rejected', 'fulfilled']);
    await batcher.drained();
  });
});

describe('admission: MicroBatcher with concurrent flushes', () => {
  it('runs flushes side by side but never lets one key be in two of them, so each key keeps its order', async () => {
    const releases: Array<() => void> = [];
    const flushed: string[][] = [];
    const batcher = new MicroBatcher<string, string>({
      maxBatch: 10,
      maxQueue: 100,
      concurrency: 2,
      keyOf: (item) => item[0] as string,
      onFull: () => new Error('full'),
      flush: async (items) => {
        flushed.push(items);
        await new Promise<void>((r) => releases.push(r));
        return items;
      },
    });
    const first = batcher.submit('a1');
    await new Promise((r) => setImmediate(r));
    const more = ['a2', 'b1', 'a3', 'b2'].map((i) => batcher.submit(i));
    await new Promise((r) => setImmediate(r));
    expect(flushed).to.deep.equal([['a1'], ['b1', 'b2']], 'a2, a3 wait: key a is in a running flush');
    releases.shift()?.();
    await first;
    await new Promise((r) => setImmediate(r));
    expect(flushed[2]).to.deep.equal(['a2', 'a3']);
    while (releases.length) releases.shift()?.();
    expect(await Promise.all(more)).to.deep.equal(['a2', 'b1', 'a3', 'b2']);
    await batcher.drained();
  });
});
