import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { freePort, spawnWaggle, testEnv, waitForOutput, type Spawned } from '../../support';

// A failed start must end the process: every test awaits the exit itself, so a process that prints its line
// and lingers fails here by the test's timeout.
describe('cli: waggle start fails fast', function () {
  this.timeout(60_000);

  it('exits 1 naming the port when it is in use, and leaves the process holding it serving', async () => {
    const first = spawnWaggle(['start'], testEnv({ WAGGLE_LOG_LEVEL: 'info' }));
    const [, port] = await waitForOutput(first, /"port":(\d+),"msg":"waggle started"/);

    const second = spawnWaggle(['start'], testEnv({ WAGGLE_HTTP_PORT: port as string }));
    expect(await second.exited, second.output()).to.equal(1);
    expect(second.errors()).to.equal(
      `waggle: cannot listen on 0.0.0.0:${port}: the port is in use (WAGGLE_HTTP_PORT)\n`,
    );

    expect((await fetch(`http://127.0.0.1:${port}/v1/health`)).status).to.equal(200);
    first.child.kill('SIGTERM');
    expect(await first.exited, first.output()).to.equal(0);
  });

  it('exits 1 naming the database URL, password hidden, when the database does not answer in time', async () => {
    const password = `pw-${randomBytes(8).toString('hex')}`;
    const port = await freePort();
    const proc = spawnWaggle(
      ['start'],
      testEnv({
        WAGGLE_DATABASE_URL: `postgres://waggle:${password}@127.0.0.1:${port}/waggle_test`,
        WAGGLE_START_TIMEOUT: '1s',
      }),
    );
    expect(await proc.exited, proc.output()).to.equal(1);
    expectOneLine(
      proc,
      `waggle: cannot reach the database at postgres://waggle:***@127.0.0.1:${port}/waggle_test within 1s: `,
      ' (WAGGLE_DATABASE_URL, WAGGLE_START_TIMEOUT)',
    );
    expect(proc.output()).to.include('ECONNREFUSED').and.not.include(password);
  });

  it('exits 1 naming the broker URL, password hidden, when the broker does not answer in time', async () => {
    const password = `pw-${randomBytes(8).toString('hex')}`;
    const port = await freePort();
    const proc = spawnWaggle(
      ['start'],
      testEnv({ WAGGLE_AMQP_URL: `amqp://waggle:${password}@127.0.0.1:${port}`, WAGGLE_START_TIMEOUT: '1s' }),
    );
    expect(await proc.exited, proc.output()).to.equal(1);
    expectOneLine(
      proc,
      `waggle: cannot reach the broker at amqp://waggle:***@127.0.0.1:${port} within 1s: `,
      ' (WAGGLE_AMQP_URL, WAGGLE_START_TIMEOUT)',
    );
    expect(proc.output()).to.include('ECONNREFUSED').and.not.include(password);
  });

  it('exits 1 naming the file of an invalid topology', async () => {
    const file = 'test/fixtures/topology/many-problems.yaml';
    const proc = spawnWaggle(['start'], testEnv({ WAGGLE_TOPOLOGY_FILE: file }));
    expect(await proc.exited, proc.output()).to.equal(1);
    expectOneLine(
      proc,
      `waggle: invalid topology (WAGGLE_TOPOLOGY_FILE): ${file}: `,
      `(\`waggle topology validate --file ${file}\` lists them all)`,
    );
  });

  it('exits 1 when a role fails to start, after stopping the roles started before it', async () => {
    const proc = spawnWaggle(
      ['start', '--roles', 'ingress,relay,workers'],
      testEnv({ WAGGLE_CONSUMERS: 'no-such-consumer', WAGGLE_LOG_LEVEL: 'info' }),
    );
    expect(await proc.exited, proc.output()).to.equal(1);
    expect(proc.errors()).to.equal(
      'waggle: cannot start: WAGGLE_CONSUMER_INVALID: consumer "no-such-consumer": ' +
        'WAGGLE_CONSUMERS names consumers that topology/waggle.yaml does not declare\n',
    );
    const log = proc.output();
    expect(log).to.match(/"role":"relay","msg":"role started"/);
    expect(log.indexOf('"msg":"stopped"')).to.be.greaterThan(
      log.indexOf('"role":"relay","msg":"role started"'),
    );
  });
});

function expectOneLine(proc: Spawned, start: string, end: string): void {
  const lines = proc.errors().split('\n').filter(Boolean);
  expect(lines, proc.output()).to.have.length(1);
  expect(lines[0]).to.satisfy((l: string) => l.startsWith(start) && l.endsWith(end), lines[0]);
}
