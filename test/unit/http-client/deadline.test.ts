import { expect } from 'chai';
import { deadline } from '../../../src/http-client';

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('http-client: a request deadline', () => {
  it('fires at its limit with a TimeoutError, as AbortSignal.timeout does', async () => {
    const limit = deadline(30);
    expect(limit.signal.aborted).to.equal(false);
    await wait(80);
    expect(limit.signal.aborted).to.equal(true);
    const reason = limit.signal.reason as DOMException;
    expect(reason).to.be.instanceOf(DOMException);
    expect(reason.name).to.equal('TimeoutError');
    limit.done();
  });

  it('never fires once the request is over', async () => {
    const limit = deadline(30);
    limit.done();
    await wait(80);
    expect(limit.signal.aborted).to.equal(false);
  });
});
