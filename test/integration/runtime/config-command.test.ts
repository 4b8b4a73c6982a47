import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { spawnWaggle, testEnv } from '../../support';

describe('cli: waggle config', function () {
  this.timeout(30_000);

  it('prints the effective configuration without the admin token or any URL password', async () => {
    const token = `token-${randomBytes(12).toString('hex')}`;
    const password = `pw-${randomBytes(8).toString('hex')}`;
    const proc = spawnWaggle(
      ['config'],
      testEnv({
        WAGGLE_ADMIN_TOKEN: token,
        WAGGLE_AMQP_URL: `amqp://waggle:${password}@127.0.0.1:5672`,
        WAGGLE_MANAGEMENT_URL: `http://waggle:${password}@127.0.0.1:15672`,
        WAGGLE_DATABASE_URL: `postgres://waggle:${password}@127.0.0.1:5432/waggle_test`,
      }),
    );
    expect(await proc.exited, proc.output()).to.equal(0);
    const lines = proc.output().trim().split('\n');
    expect(lines).to.include.members([
      'WAGGLE_ADMIN_TOKEN=***',
      'WAGGLE_AMQP_URL=amqp://waggle:***@127.0.0.1:5672',
      'WAGGLE_MANAGEMENT_URL=http://waggle:***@127.0.0.1:15672',
      'WAGGLE_DATABASE_URL=postgres://waggle:***@127.0.0.1:5432/waggle_test',
    ]);
    expect(proc.output()).to.not.include(token).and.to.not.include(password);
  });

  it('refuses a short admin token in one line that names the rule, not the token', async () => {
    const token = `adm-${randomBytes(2).toString('hex')}`;
    const proc = spawnWaggle(['config'], testEnv({ WAGGLE_ADMIN_TOKEN: token }));
    expect(await proc.exited).to.equal(2);
    expect(proc.output().trim()).to.equal(
      `waggle: WAGGLE_ADMIN_TOKEN: must be at least 16 characters (got ${token.length})`,
    );
  });

  it('hides the password of a URL it refuses', async () => {
    const password = `pw-${randomBytes(8).toString('hex')}`;
    const proc = spawnWaggle(['config'], testEnv({ WAGGLE_DATABASE_URL: `mysql://waggle:${password}@db/x` }));
    expect(await proc.exited).to.equal(2);
    expect(proc.output().trim()).to.equal(
      'waggle: WAGGLE_DATABASE_URL: "mysql://waggle:***@db/x" is not a postgres:// URL',
    );
  });
});
