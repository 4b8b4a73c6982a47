import { expect } from 'chai';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import amqplib from 'amqplib';
import type { AutoscaleReport } from '../../../src/autoscale';
import { toAmqpMessage } from '../../../src/envelope';
import {
  amqpUrlFor,
  autoTeardown,
  sessionEvent,
  spawnWaggle,
  tempVhost,
  testEnv,
  uniqueName,
  waitForOutput,
  type Spawned,
  eventually,
} from '../../support';
import { alive, groupUntil, reportUntil } from './autoscale-watch';

// `waggle start` with the autoscaler role, in a vhost of its own with a 4-partition topology: the endpoint
// KEDA reads, the gauges, and the local supervisor forking and stopping real worker processes.
describe('autoscale: /v1/autoscale during waggle start', function () {
  this.timeout(120_000);

  it('reports depth, current and desired workers per group, capped at the partition count', async () => {
    const { env, consumer, exchange } = await fixture({ WAGGLE_AUTOSCALE_TARGET_DRAIN: '5s' });
    const proc = spawnWaggle(['start', '--roles', 'autoscaler'], env);
    const base = await started(proc);
    await publish(env.WAGGLE_AMQP_URL as string, exchange, 4_000);

    // Fresh queues have no management statistics for a few seconds; passive declares answer until then.
    const group = await groupUntil(
      base,
      consumer,
      (g) => g.source === 'management' && g.depth.ready === 4_000,
    );
    expect(group).to.deep.include({
      name: consumer,
      partitions: 4,
      source: 'management',
      stale: false,
      consumers: 0,
      currentWorkers: 0,
      desiredWorkers: 4,
      limitedBy: 'partitions',
      targetDrainSeconds: 5,
    });
    expect(group.queues).to.deep.equal([0, 1, 2, 3].map((i) => `${exchange}.p${i}`));
    expect(group.depth).to.deep.equal({ ready: 4_000, unacked: 0, total: 4_000 });
    expect(group.rates.publish).to.be.a('number');
    expect(group.detail).to.include('capped at 4 partitions');

    const all = (await (await fetch(`${base}/v1/autoscale`)).json()) as AutoscaleReport;
    expect(all.mode).to.equal('keda');
    expect(all.intervalSeconds).to.equal(1);
    expect(all.groups[consumer]?.desiredWorkers).to.equal(4);

    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).to.match(
      new RegExp(`^waggle_autoscale_desired_workers\\{group="${consumer}"\\} 4$`, 'm'),
    );
    expect(metrics).to.match(
      new RegExp(`^waggle_autoscale_ready_messages\\{group="${consumer}"\\} 4000$`, 'm'),
    );

    const unknown = await fetch(`${base}/v1/autoscale/nope`);
    expect(unknown.status).to.equal(404);
    expect(((await unknown.json()) as { code: string }).code).to.equal('AUTOSCALE_GROUP_UNKNOWN');

    proc.child.kill('SIGTERM');
    expect(await proc.exited, proc.output()).to.equal(0);
  });

  it('--autoscale local forks workers up to the partition count for a backlog and drains them back to min', async () => {
    const { env, consumer, exchange } = await fixture({
      WAGGLE_AUTOSCALE_TARGET_DRAIN: '5s',
      WAGGLE_AUTOSCALE_STABILIZATION: '3s',
    });
    const proc = spawnWaggle(['start', '--roles', 'autoscaler', '--autoscale', 'local'], env);
    const base = await started(proc);
    let report = await reportUntil(base, (r) => r.supervisor?.running === 1);
    expect(report.mode).to.equal('local');
    expect(report.supervisor).to.include({ minWorkers: 1, maxWorkers: 4 });

    await publish(env.WAGGLE_AMQP_URL as string, exchange, 4_000);
    report = await reportUntil(base, (r) => r.supervisor?.running === 4);
    expect(report.groups[consumer]).to.include({ desiredWorkers: 4, limitedBy: 'partitions' });
    const pids = report.supervisor?.pids ?? [];
    expect(pids).to.have.length(4);
    for (const pid of pids) expect(alive(pid), `worker ${pid}`).to.equal(true);

    // The backlog goes away (the workers take one event each at a time: the queues are purged); after the
    // window the supervisor drains three workers and keeps the oldest.
    const conn = await amqplib.connect(env.WAGGLE_AMQP_URL as string);
    const ch = await conn.createChannel();
    for (let i = 0; i < 4; i++) await ch.purgeQueue(`${exchange}.p${i}`);
    await conn.close();
    report = await reportUntil(base, (r) => r.supervisor?.running === 1 && r.supervisor.pids.length === 1);
    expect(report.supervisor?.pids).to.deep.equal([pids[0]]);
    await eventually(() => pids.slice(1).every((pid) => !alive(pid)), 'the stopped workers gone', 30_000);

    proc.child.kill('SIGTERM');
    expect(await proc.exited, proc.output()).to.equal(0);
    expect(alive(pids[0] as number), 'the last worker stops with the supervisor').to.equal(false);
  });
});

async function fixture(extra: Record<string, string>) {
  const vhost = await tempVhost('autoscale');
  const exchange = uniqueName('turns');
  const consumer = uniqueName('turn-processor');
  const dir = mkdtempSync(path.join(tmpdir(), 'waggle-autoscale-'));
  autoTeardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'waggle.yaml');
  writeFileSync(
    file,
    `version: 1
exchanges:
  ${exchange}: { type: x-consistent-hash, hashHeader: x-session }
partitions:
  ${exchange}: { exchange: ${exchange}, count: 4 }
consumers:
  ${consumer}: { partitions: ${exchange}, handler: test/fixtures/autoscale/slow-handler.ts, concurrency: 1, prefetch: 1, scale: { min: 1, max: 8 } }
`,
  );
  const env = testEnv({
    WAGGLE_AMQP_URL: amqpUrlFor(vhost),
    WAGGLE_TOPOLOGY_FILE: file,
    WAGGLE_AUTOSCALE_INTERVAL: '1s',
    WAGGLE_SHUTDOWN_TIMEOUT: '2s',
    WAGGLE_LOG_LEVEL: 'info',
    ...extra,
  });
  return { env, vhost, exchange, consumer };
}

async function started(proc: Spawned): Promise<string> {
  const [, port] = await waitForOutput(proc, /"port":(\d+),"msg":"waggle started"/, 60_000);
  return `http://127.0.0.1:${port}`;
}

async function publish(url: string, exchange: string, n: number): Promise<void> {
  const conn = await amqplib.connect(url);
  const ch = await conn.createConfirmChannel();
  const tenant = uniqueName('t');
  for (let i = 0; i < n; i++) {
    // Real envelopes (the workers run them, one at a time and slowly), spread over 97 sessions.
    const m = toAmqpMessage(sessionEvent(tenant, `s${i % 97}`, Math.floor(i / 97) + 1));
    ch.publish(exchange, '', m.content, m.properties);
  }
  await ch.waitForConfirms();
  await conn.close();
}
