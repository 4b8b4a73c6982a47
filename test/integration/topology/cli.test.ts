import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { REPO_ROOT, testEnv } from '../../support';
import { connectTo, freshVhost } from './broker-fixtures';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function waggle(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['bin/waggle.js', ...args],
      { cwd: REPO_ROOT, env: testEnv(), timeout: 60_000 },
      (err, stdout, stderr) => {
        const code = err ? ((err as { code?: unknown }).code as number) : 0;
        resolve({ code: typeof code === 'number' ? code : 1, stdout, stderr });
      },
    );
  });
}

const FIXTURE = 'test/fixtures/topology/routing-only.yaml';

describe('topology: the waggle topology command', function () {
  // each run starts a Node process that loads the TypeScript sources through tsx
  this.timeout(180_000);

  it('prints one line per problem on stderr and exits 2 for a bad file', async () => {
    const run = await waggle(
      'topology',
      'validate',
      '--file',
      'test/fixtures/topology/undeclared-references.yaml',
    );
    expect(run.code).to.equal(2);
    expect(run.stdout).to.equal('');
    expect(run.stderr.trim().split('\n')).to.deep.equal([
      'test/fixtures/topology/undeclared-references.yaml: queues.jobs.bindings[0].from: "ingst" is not a declared exchange (one of ingest)',
      'test/fixtures/topology/undeclared-references.yaml: partitions.chats.exchange: "sessions" is not a declared exchange (one of ingest)',
      'test/fixtures/topology/undeclared-references.yaml: consumers.job-worker.queue: "job" is not a declared queue',
    ]);
    for (const command of ['apply', 'diff']) {
      const other = await waggle('topology', command, '--file', 'test/fixtures/topology/bad-partitions.yaml');
      expect(other.code, command).to.equal(2);
      expect(other.stderr.trim()).to.equal(
        'test/fixtures/topology/bad-partitions.yaml: partitions.chats.count: 0 is not a partition count from 1 to 1024',
      );
    }
  });

  it('validates the shipped file by default', async () => {
    const run = await waggle('topology', 'validate');
    expect(run.code).to.equal(0);
    expect(run.stdout).to.match(/^topology\/waggle\.yaml: valid — 7 exchanges, 35 queues, 16 bindings/);
  });

  it('explains every subcommand in --help', async () => {
    for (const command of ['validate', 'apply', 'diff', 'export', 'graph']) {
      const run = await waggle('topology', command, '--help');
      expect(run.code, command).to.equal(0);
      expect(run.stdout, command).to.contain(`Usage: waggle topology ${command}`);
      expect(run.stdout, command).to.contain('--file <path>');
    }
    expect((await waggle('topology', 'apply', '--help')).stdout).to.contain('--dry-run');
    expect((await waggle('topology', 'diff', '--help')).stdout).to.contain('--json');
    expect((await waggle('topology', 'export', '--help')).stdout).to.contain('--out <path>');
  });

  it('apply --dry-run prints the plan and touches nothing', async () => {
    const run = await waggle('topology', 'apply', '--dry-run', '--file', FIXTURE, '--vhost', 'no-such-vhost');
    expect(run.code).to.equal(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines[0]).to.equal('exchange ingest (topic)');
    expect(lines).to.include(
      "queue chats.p1 (x-queue-type='quorum', x-single-active-consumer=true, x-dead-letter-exchange='', x-dead-letter-routing-key='chats.parked')",
    );
    expect(lines.at(-1)).to.equal('2 exchanges, 7 queues, 5 bindings, 0 users');
    const json = await waggle('topology', 'apply', '--dry-run', '--json', '--file', FIXTURE);
    expect((JSON.parse(json.stdout) as unknown[]).length).to.equal(14);
  });

  it('apply, apply again, diff in sync, drift after a deleted binding, export and graph', async () => {
    const vhost = await freshVhost();
    const first = await waggle('topology', 'apply', '--file', FIXTURE, '--vhost', vhost);
    expect(first.code, first.stderr).to.equal(0);
    expect(first.stdout).to.contain('created queue jobs.retry.10s');
    expect(first.stdout).to.contain('created binding sessions → chats.p0 [1]');
    expect(first.stdout.trim().split('\n').at(-1)).to.match(
      /^applied .* to vhost .*: 14 created, 0 exchanges and queues unchanged, 5 bindings asserted, 0 conflicts/,
    );

    const second = await waggle('topology', 'apply', '--file', FIXTURE, '--vhost', vhost);
    expect(second.code).to.equal(0);
    expect(second.stdout.trim().split('\n')).to.have.length(1);
    expect(second.stdout).to.match(
      /: 0 created, 9 exchanges and queues unchanged, 5 bindings asserted, 0 conflicts/,
    );

    const clean = await waggle('topology', 'diff', '--file', FIXTURE, '--vhost', vhost);
    expect(clean.code).to.equal(0);
    expect(clean.stdout.trim()).to.equal(
      `in sync: 2 exchanges, 7 queues, 5 bindings, 0 users in vhost ${vhost}`,
    );

    const { channel } = await connectTo(vhost);
    await channel.unbindQueue('jobs', 'ingest', '*.*.job.retried');
    const drift = await waggle('topology', 'diff', '--file', FIXTURE, '--vhost', vhost);
    expect(drift.code).to.equal(1);
    expect(drift.stdout.trim().split('\n')).to.deep.equal([
      'missing   binding ingest → jobs [*.*.job.retried]',
      `drift: 1 missing, 0 different, 0 extra (checked 2 exchanges, 7 queues, 5 bindings, 0 users in vhost ${vhost})`,
    ]);
    const json = await waggle('topology', 'diff', '--json', '--file', FIXTURE, '--vhost', vhost);
    expect(json.code).to.equal(1);
    expect(JSON.parse(json.stdout)).to.deep.include({
      inSync: false,
      items: [{ status: 'missing', kind: 'binding', name: 'ingest → jobs [*.*.job.retried]' }],
    });

    const out = join(mkdtempSync(join(tmpdir(), 'waggle-export-')), 'definitions.json');
    const exported = await waggle('topology', 'export', '--file', FIXTURE, '--vhost', vhost, '--out', out);
    expect(exported.code).to.equal(0);
    const defs = JSON.parse(readFileSync(out, 'utf8')) as { queues: Array<{ vhost: string }> };
    expect(defs.queues).to.have.length(7);
    expect(defs.queues.every((q) => q.vhost === vhost)).to.equal(true);

    const graph = await waggle('topology', 'graph', '--file', FIXTURE);
    expect(graph.code).to.equal(0);
    expect(graph.stdout).to.match(/^flowchart LR\n/);
    expect(graph.stdout).to.contain('x_sessions -- "hash(x-session)" --> g_chats');
  });

  it('apply reports a conflict on stderr and exits 1, leaving the queue as it is', async () => {
    const vhost = await freshVhost();
    const { channel } = await connectTo(vhost);
    await channel.assertQueue('jobs', { durable: true, arguments: { 'x-queue-type': 'classic' } });
    const run = await waggle('topology', 'apply', '--file', FIXTURE, '--vhost', vhost);
    expect(run.code).to.equal(1);
    expect(run.stderr).to.contain(
      'conflict: queue "jobs": x-queue-type is "classic" on the broker but "quorum" in the topology; queue arguments are fixed',
    );
    expect(run.stdout).to.match(/3 conflicts/);
  });

  it('graph --write replaces the diagram between the markers of a Markdown file', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'waggle-graph-')), 'doc.md');
    writeFileSync(file, '# doc\n<!-- topology-graph:start -->\nold\n<!-- topology-graph:end -->\nafter\n');
    const run = await waggle('topology', 'graph', '--file', FIXTURE, '--write', file);
    expect(run.code).to.equal(0);
    const text = readFileSync(file, 'utf8');
    expect(text).to.match(
      /^# doc\n<!-- topology-graph:start -->\n```mermaid\nflowchart LR\n[\s\S]*```\n<!-- topology-graph:end -->\nafter\n$/,
    );
  });
});
