import { expect } from 'chai';
import { spawnWaggle, testEnv } from '../../support';

describe('cli: waggle start --autoscale', function () {
  this.timeout(90_000);

  it('explains the option in --help', async () => {
    const proc = spawnWaggle(['start', '--help'], testEnv());
    expect(await proc.exited).to.equal(0);
    expect(proc.output()).to.include('--autoscale <mode>').and.to.include('waggle start --autoscale local');
  });

  it('refuses an unknown mode in one line naming the allowed ones', async () => {
    const proc = spawnWaggle(['start', '--autoscale', 'cloud'], testEnv());
    expect(await proc.exited).to.equal(1);
    expect(proc.output()).to.include(
      "error: option '--autoscale <mode>' argument 'cloud' is invalid. Allowed choices are local.",
    );
  });
});
