import { expect } from 'chai';
import { spawnWaggle, testEnv, waitForOutput } from '../../support';

describe('cli: waggle start', function () {
  this.timeout(60_000);

  it('serves /v1/health 200 and waggle_ metrics, then exits 0 on SIGTERM', async () => {
    const proc = spawnWaggle(['start'], testEnv({ WAGGLE_LOG_LEVEL: 'info' }));
    const [, port] = await waitForOutput(proc, /"port":(\d+),"msg":"waggle started"/);
    const base = `http://127.0.0.1:${port}`;

    const health = await fetch(`${base}/v1/health`);
    const report = (await health.json()) as { status: string; components: Record<string, { ok: boolean }> };
    expect(health.status, JSON.stringify(report)).to.equal(200);
    expect(report.status).to.equal('ok');
    expect(report.components).to.include.keys('database', 'broker');

    const live = await fetch(`${base}/v1/health?live`);
    expect(live.status).to.equal(200);

    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).to.match(/^waggle_process_cpu_user_seconds_total /m);
    expect(metrics).to.match(/^waggle_broker_connected 1$/m);
    expect(metrics).to.match(
      /^waggle_http_requests_total\{method="GET",route="\/v1\/health",status="200"\} /m,
    );

    const logLines = proc
      .output()
      .split('\n')
      .filter((l) => l.startsWith('{'));
    for (const line of logLines) expect(() => JSON.parse(line), line).not.to.throw();

    proc.child.kill('SIGTERM');
    expect(await proc.exited, proc.output()).to.equal(0);
  });

  it('stops at once with one line naming a bad variable', async () => {
    const proc = spawnWaggle(['start'], testEnv({ WAGGLE_HTTP_PORT: 'abc' }));
    expect(await proc.exited).to.equal(2);
    expect(proc.output().trim()).to.equal(
      'waggle: WAGGLE_HTTP_PORT: "abc" is not an integer from 0 to 65535 (0 picks a free port)',
    );
  });

  it('names an unknown role in one line', async () => {
    const proc = spawnWaggle(['start', '--roles', 'ingress,brewer'], testEnv());
    expect(await proc.exited).to.equal(2);
    expect(proc.output().trim()).to.equal(
      'waggle: --roles: "brewer" is not a role; expected any of ingress, workers, relay, scheduler, autoscaler',
    );
  });

  it('explains itself with --help', async () => {
    const proc = spawnWaggle(['--help'], testEnv());
    expect(await proc.exited).to.equal(0);
    expect(proc.output()).to.include('Usage: waggle').and.to.include('start').and.to.include('migrate');
    const sub = spawnWaggle(['start', '--help'], testEnv());
    expect(await sub.exited).to.equal(0);
    expect(sub.output()).to.include('--roles').and.to.include('SIGTERM');
  });
});
