import { expect } from 'chai';
import { TenantSlots } from '../../../src/consumer/tenant-slots';

describe('consumer: tenant slots', () => {
  it('lets a tenant hold its share of slots while other tenants take theirs; crowded once as many wait', () => {
    const slots = new TenantSlots(2);
    expect([slots.tryEnter('a'), slots.tryEnter('a'), slots.tryEnter('a')]).to.deep.equal([
      true,
      true,
      false,
    ]);
    expect(slots.crowded('a')).to.equal(false);
    void slots.wait('a');
    void slots.wait('a');
    expect(slots.crowded('a')).to.equal(true);
    expect([slots.tryEnter('b'), slots.tryEnter('b')]).to.deep.equal([true, true]);
    expect(slots.crowded('b')).to.equal(false);
    expect(slots.runningOf('a')).to.equal(2);
    expect(slots.waitingOf('a')).to.equal(2);
  });

  it('hands a freed slot to the tenant’s longest waiter, and forgets a tenant with nothing running', async () => {
    const slots = new TenantSlots(1);
    const order: string[] = [];
    expect(slots.tryEnter('a')).to.equal(true);
    const second = slots.wait('a').then((entered) => order.push(`second ${entered}`));
    const third = slots.wait('a').then((entered) => order.push(`third ${entered}`));
    // A newcomer does not overtake the waiters, even when a slot is being handed over.
    slots.leave('a');
    expect(slots.tryEnter('a')).to.equal(false);
    await second;
    expect(order).to.deep.equal(['second true']);
    slots.leave('a');
    await third;
    expect(order).to.deep.equal(['second true', 'third true']);
    expect(slots.runningOf('a')).to.equal(1);
    slots.leave('a');
    expect(slots.runningOf('a')).to.equal(0);
    expect(slots.tryEnter('a')).to.equal(true);
  });

  it('ends every wait with false when the consumer stops, holding no slot', async () => {
    const slots = new TenantSlots(1);
    slots.tryEnter('a');
    const waited = slots.wait('a');
    slots.cancelWaiting();
    expect(await waited).to.equal(false);
    expect(slots.waitingOf('a')).to.equal(0);
    expect(slots.runningOf('a')).to.equal(1);
  });
});

describe('consumer: tenant slots, who came lately', () => {
  it('tells whether a tenant other than the given one was seen since a time, whatever the number of tenants', () => {
    const slots = new TenantSlots(1);
    expect(slots.othersSeenSince('a', 0)).to.equal(false);
    slots.seen('a', 100);
    slots.seen('a', 200);
    expect(slots.othersSeenSince('a', 0)).to.equal(false);
    expect(slots.othersSeenSince('b', 150)).to.equal(true);
    slots.seen('b', 300);
    slots.seen('a', 400);
    expect(slots.othersSeenSince('a', 250)).to.equal(true);
    expect(slots.othersSeenSince('a', 350)).to.equal(false);
    slots.seen('c', 500);
    expect(slots.othersSeenSince('c', 450)).to.equal(false);
    expect(slots.othersSeenSince('c', 350)).to.equal(true);
  });
});
