import { expect } from 'chai';
import { Histogram, Registry } from 'prom-client';
import { BoundHistogram } from '../../../src/observability/bound-histogram';

const BOUNDS = [0.01, 0.1, 1];

describe('BoundHistogram', () => {
  it('serves the same exposition text as a prom-client Histogram fed the same observations', async () => {
    const ours = new Registry();
    const theirs = new Registry();
    const bound = new BoundHistogram('work_seconds', 'Work time', ['consumer'], BOUNDS, ours);
    const reference = new Histogram({
      name: 'work_seconds',
      help: 'Work time',
      labelNames: ['consumer'],
      buckets: BOUNDS,
      registers: [theirs],
    });
    const a = bound.labels({ consumer: 'a' });
    const b = bound.labels({ consumer: 'b' });
    for (const v of [0.005, 0.01, 0.05, 0.5, 3, 0.2]) {
      a.observe(v);
      reference.observe({ consumer: 'a' }, v);
    }
    b.observe(0.02);
    reference.observe({ consumer: 'b' }, 0.02);
    expect(await ours.metrics()).to.equal(await theirs.metrics());
    const text = await ours.metrics();
    expect(text).to.contain('work_seconds_bucket{le="0.01",consumer="a"} 2');
    expect(text).to.contain('work_seconds_bucket{le="+Inf",consumer="a"} 6');
    expect(text).to.contain('work_seconds_count{consumer="b"} 1');
  });

  it('hands out one series per label set, and reset zeroes every series', async () => {
    const registry = new Registry();
    const bound = new BoundHistogram('reset_seconds', 'Reset', ['consumer'], BOUNDS, registry);
    expect(bound.labels({ consumer: 'x' })).to.equal(bound.labels({ consumer: 'x' }));
    bound.labels({ consumer: 'x' }).observe(0.5);
    registry.resetMetrics();
    expect(await registry.metrics()).to.contain('reset_seconds_count{consumer="x"} 0');
  });

  it('refuses a value that is not a finite number and a missing label', () => {
    const bound = new BoundHistogram('bad_seconds', 'Bad', ['consumer'], BOUNDS, new Registry());
    expect(() => bound.labels({ consumer: 'x' }).observe(Number.NaN)).to.throw(
      TypeError,
      /not a finite number/,
    );
    expect(() => bound.labels({} as { consumer: string })).to.throw(TypeError, /label "consumer" is missing/);
  });
});
