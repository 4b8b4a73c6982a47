import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { loadConfig } from '../../src/config';
import { ChatRun, type ChatReport } from './chat-run';
import { commandExists } from './disruptions';
import { busiestLeader, clusterUp, quorumPlacement, type LocalCluster } from './cluster';

/** 300 web-chat users × 30 messages each, through the full chat loop on two waggle instances. */
const SESSIONS = Number(process.env.WAGGLE_CHAOS_SESSIONS ?? 300);
const MESSAGES = Number(process.env.WAGGLE_CHAOS_MESSAGES ?? 30);

function expectClean(report: ChatReport): void {
  console.log(`      ${JSON.stringify(report)}`);
  console.log(
    `      longest pause in replies: ${report.longestPauseMs} ms (ended ${report.longestPauseEndedAtMs} ms into the run)`,
  );
  expect(report).to.deep.include({ lost: 0, answeredTwice: 0, sessionsOutOfOrder: 0, parked: 0 });
  expect(report.answered).to.equal(report.sent);
}

describe('chaos: the chat loop on a three-node RabbitMQ cluster (scripts/cluster.sh)', function () {
  this.timeout(600_000);
  let cluster: LocalCluster | undefined;

  before(async function () {
    this.timeout(300_000);
    cluster = await clusterUp();
  });

  after(async function () {
    this.timeout(120_000);
    await cluster?.down();
  });

  it(`${SESSIONS} sessions × ${MESSAGES} messages on two instances: the node leading most quorum queues killed at 30% (back at 60%), an instance killed -9 at 50%: none lost, none answered twice, none out of order`, async () => {
    const c = cluster as LocalCluster;
    const run = await ChatRun.start(c, 2);
    const placement = await quorumPlacement(c.managementUrl, run.vhost);
    expect(placement.length, 'quorum queues declared by the topology').to.be.greaterThan(10);
    for (const q of placement) expect(q.members, `members of ${q.name}`).to.have.length(3);

    let killedNode = 0;
    const victim = run.instances[1];
    const report = await run.converse(SESSIONS, MESSAGES, [
      {
        at: 0.3,
        name: 'kill -9 of the node leading most quorum queues',
        act: async () => {
          const placement = await quorumPlacement(c.managementUrl, run.vhost);
          killedNode = busiestLeader(placement);
          const led = placement.filter((q) => q.leader.startsWith(`waggle-c${killedNode}@`)).length;
          console.log(
            `      killing node ${killedNode}, leader of ${led} of ${placement.length} quorum queues`,
          );
          await c.killNode(killedNode);
        },
      },
      {
        at: 0.5,
        name: 'kill -9 of one waggle instance',
        act: async () => {
          victim?.process.child.kill('SIGKILL');
          await victim?.process.exited;
        },
      },
      { at: 0.6, name: 'the killed node started again', act: () => c.startNode(killedNode) },
    ]);
    expect(report.disruptions.map((d) => d.name)).to.have.length(3);
    expectClean(report);
    const survivor = run.instances[0]?.process.child;
    expect(survivor?.exitCode, 'the surviving instance still runs').to.equal(null);
  });
});

describe('chaos: the same chat loop on a single RabbitMQ node', function () {
  this.timeout(600_000);

  it(`${SESSIONS} sessions × ${MESSAGES} messages on two instances: every connection to the node cut at 30%, an instance killed -9 at 50%: none lost, none answered twice, none out of order`, async function () {
    if (!commandExists('rabbitmqctl')) this.skip(); // a broker in a container: nothing to cut with
    const { amqpUrl, managementUrl } = loadConfig();
    const run = await ChatRun.start({ amqpUrl, managementUrl }, 2);
    const victim = run.instances[1];
    const report = await run.converse(SESSIONS, MESSAGES, [
      {
        at: 0.3,
        // The clients' view of losing their only node, without stopping the broker other suites share.
        name: "rabbitmqctl close_all_connections on the run's vhost",
        act: async () =>
          void (await promisify(execFile)('rabbitmqctl', [
            'close_all_connections',
            '-p',
            run.vhost,
            'chaos',
          ])),
      },
      {
        at: 0.5,
        name: 'kill -9 of one waggle instance',
        act: async () => {
          victim?.process.child.kill('SIGKILL');
          await victim?.process.exited;
        },
      },
    ]);
    expect(report.disruptions).to.have.length(2);
    expectClean(report);
  });
});
