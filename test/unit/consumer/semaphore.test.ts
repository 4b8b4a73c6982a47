import { expect } from 'chai';
import { Semaphore } from '../../../src/consumer/semaphore';

describe('consumer: semaphore', () => {
  it('lets at most n holders in, the rest in arrival order', async () => {
    const s = new Semaphore(2);
    const order: number[] = [];
    const r1 = await s.acquire();
    const r2 = await s.acquire();
    const third = s.acquire().then((r) => {
      order.push(3);
      return r;
    });
    const fourth = s.acquire().then((r) => {
      order.push(4);
      return r;
    });
    expect(s.inUse).to.equal(2);
    r1();
    r1(); // a second release is ignored
    const r3 = await third;
    expect(order).to.deep.equal([3]);
    r2();
    const r4 = await fourth;
    expect(order).to.deep.equal([3, 4]);
    r3();
    r4();
    expect(s.inUse).to.equal(0);
  });
});
