import { expect } from 'chai';
import { setTimeout as sleep } from 'node:timers/promises';
import { SessionLanes, type SessionLane } from '../../../src/ordering';

describe('ordering: session lanes', () => {
  it('runs one session strictly serially while sessions run concurrently', async () => {
    const log: string[] = [];
    let running = 0;
    let maxRunning = 0;
    const perSession = new Map<string, number>();
    const lanes = new SessionLanes<number>({
      name: 'test',
      drive: async (lane: SessionLane<number>) => {
        for (let item = lane.pending.shift(); item !== undefined; item = lane.pending.shift()) {
          const id = lane.session.session;
          perSession.set(id, (perSession.get(id) ?? 0) + 1);
          expect(perSession.get(id), `session ${id} ran twice at once`).to.equal(1);
          running += 1;
          maxRunning = Math.max(maxRunning, running);
          await sleep(5);
          log.push(`${id}:${item}`);
          running -= 1;
          perSession.set(id, 0);
        }
      },
    });
    for (let i = 1; i <= 5; i++) {
      for (const s of ['a', 'b', 'c']) lanes.submit({ tenant: 't', session: s }, i);
    }
    expect(await lanes.idle(5_000)).to.equal(true);
    for (const s of ['a', 'b', 'c']) {
      expect(log.filter((l) => l.startsWith(`${s}:`))).to.deep.equal([1, 2, 3, 4, 5].map((i) => `${s}:${i}`));
    }
    expect(maxRunning).to.equal(3);
    expect(lanes.size).to.equal(0);
  });

  it('keeps tenants apart: one session id in two tenants is two lanes', async () => {
    const seen: string[] = [];
    const lanes = new SessionLanes<string>({
      name: 'test',
      drive: async (lane) => {
        seen.push(`${lane.session.tenant}/${lane.pending.splice(0).join(',')}`);
      },
    });
    lanes.submit({ tenant: 'a', session: 's' }, 'x');
    lanes.submit({ tenant: 'b', session: 's' }, 'y');
    await lanes.idle(1_000);
    expect(seen.sort()).to.deep.equal(['a/x', 'b/y']);
  });

  it('ends a pause early when an event arrives for the session, and reports it', async () => {
    const ends: string[] = [];
    const stop = new AbortController();
    const lanes = new SessionLanes<number>({
      name: 'test',
      drive: async (lane) => {
        lane.pending.shift();
        ends.push(await lane.pause(5_000, stop.signal));
        lane.pending.splice(0);
      },
    });
    const key = { tenant: 't', session: 's' };
    lanes.submit(key, 1);
    await sleep(10);
    lanes.submit(key, 2);
    expect(await lanes.idle(1_000)).to.equal(true);
    expect(ends).to.deep.equal(['arrival']);
  });

  it('hands back waiting events on close and drives no more', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const lanes = new SessionLanes<number>({
      name: 'test',
      drive: async (lane) => {
        lane.pending.shift();
        await gate;
      },
    });
    const key = { tenant: 't', session: 's' };
    lanes.submit(key, 1);
    lanes.submit(key, 2);
    lanes.submit(key, 3);
    expect(lanes.close()).to.deep.equal([2, 3]);
    release();
    expect(await lanes.idle(1_000)).to.equal(true);
    expect(lanes.isClosed).to.equal(true);
  });
});
