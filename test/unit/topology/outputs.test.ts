import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import {
  describePlan,
  exportDefinitions,
  loadTopology,
  parseInequivalentArg,
  passwordMatches,
  planTopology,
  resolveProducerPassword,
  topologyGraph,
} from '../../../src/topology';

describe('topology: export, graph, dry-run and conflict parsing', () => {
  it('exports definitions with every object in the target vhost and hashed producer passwords', async () => {
    const plan = planTopology(await loadTopology('topology/waggle.yaml'));
    const defs = exportDefinitions(plan, {
      vhost: 'staging',
      env: { WAGGLE_GW_WHATSAPP_PASSWORD: 's3cret' },
    });
    expect(defs.vhosts).to.deep.equal([{ name: 'staging' }]);
    expect(defs.queues).to.have.length(plan.queues.length);
    expect(defs.exchanges).to.have.length(plan.exchanges.length);
    expect(defs.bindings).to.have.length(plan.bindings.length);
    for (const o of [...defs.queues, ...defs.exchanges, ...defs.bindings, ...defs.permissions])
      expect(o.vhost).to.equal('staging');
    expect(defs.queues.find((q) => q.name === 'turns.p3')).to.deep.equal({
      name: 'turns.p3',
      vhost: 'staging',
      durable: true,
      auto_delete: false,
      arguments: {
        'x-queue-type': 'quorum',
        'x-single-active-consumer': true,
        'x-dead-letter-exchange': '',
        'x-dead-letter-routing-key': 'turns.parked',
        'x-waggle-owned': true,
      },
    });
    expect(defs.bindings).to.deep.include({
      source: 'events',
      vhost: 'staging',
      destination: 'turns',
      destination_type: 'exchange',
      routing_key: '*.*.message.received',
      arguments: {},
    });
    const whatsapp = defs.users.find((u) => u.name === 'gw-whatsapp');
    expect(JSON.stringify(defs)).not.to.contain('s3cret');
    expect(
      passwordMatches(whatsapp?.password_hash ?? '', 'rabbit_password_hashing_sha256', 's3cret'),
    ).to.equal(true);
    const telegram = defs.users.find((u) => u.name === 'gw-telegram');
    // unset variable: the development password, the user name
    expect(
      passwordMatches(telegram?.password_hash ?? '', 'rabbit_password_hashing_sha256', 'gw-telegram'),
    ).to.equal(true);
    expect(exportDefinitions(plan, { vhost: 'staging', env: {} })).to.deep.equal(
      exportDefinitions(plan, { vhost: 'staging', env: {} }),
    );
  });

  it('resolves producer passwords from their variable, else the development fallback', () => {
    const user = { name: 'gw-x', passwordEnv: 'GW_X_PASSWORD' };
    expect(resolveProducerPassword(user, { GW_X_PASSWORD: 'pw' })).to.deep.equal({
      password: 'pw',
      source: 'env',
    });
    expect(resolveProducerPassword(user, {})).to.deep.equal({ password: 'gw-x', source: 'development' });
  });

  it('draws exchanges, folded partitions and tiers, consumers and producers in Mermaid', async () => {
    const graph = topologyGraph(await loadTopology('test/fixtures/topology/valid.yaml'));
    const lines = graph.split('\n');
    expect(lines[0]).to.equal('flowchart LR');
    expect(lines).to.include('  x_sessions{{"sessions<br/>x-consistent-hash on x-session"}}');
    expect(lines).to.include('  g_chats[["chats.p0 … chats.p2<br/>3 partitions · single active consumer"]]');
    expect(lines).to.include('  x_sessions -- "hash(x-session)" --> g_chats');
    expect(lines).to.include('  x_ingest -- "*.*.chat.message" --> x_sessions');
    expect(lines).to.include('  r_jobs[("jobs.retry.*<br/>500ms · 2s · 1m")]');
    expect(lines).to.include('  q_jobs -. "retry" .-> r_jobs');
    expect(lines).to.include('  q_jobs -. "after 4 attempts" .-> q_jobs_parked');
    expect(lines).to.include('  g_chats --> c_chat_worker');
    expect(lines).to.include('  q_jobs_bigco --> c_job_worker_bigco');
    expect(lines).to.include('  p_gw_fixture -- "(acme|globex).(web|sms).#35;" --> x_ingest');
    // no partition or tier queue appears on its own
    expect(graph).not.to.match(/q_chats_p\d|q_jobs_retry/);
  });

  it('docs/topology.md embeds the current diagram of topology/waggle.yaml', async () => {
    const page = readFileSync('docs/topology.md', 'utf8');
    const graph = topologyGraph(await loadTopology('topology/waggle.yaml'));
    expect(
      page,
      'run `waggle topology graph --write docs/topology.md` after editing topology/waggle.yaml',
    ).to.contain(`<!-- topology-graph:start -->\n\`\`\`mermaid\n${graph}\`\`\`\n<!-- topology-graph:end -->`);
  });

  it('prints the plan for --dry-run, one object per line with its final arguments', async () => {
    const lines = describePlan(planTopology(await loadTopology('topology/waggle.yaml')));
    expect(lines).to.include(
      "queue tool.calls.retry.30s (x-queue-type='quorum', x-message-ttl=30000, x-dead-letter-exchange='', " +
        "x-dead-letter-routing-key='tool.calls', x-dead-letter-strategy='at-least-once', x-overflow='reject-publish')",
    );
    expect(lines).to.include('binding events ⇒ exchange turns [*.*.message.received]');
    expect(lines).to.include(
      "topic-permission gw-whatsapp on waggle.admission write='^(acme|globex)\\.whatsapp\\..+$' read='^$'",
    );
    expect(lines).to.include(
      'subscriptions events → webhook.deliveries [<tenant>.*.<pattern> of each webhooks endpoint; bound by the platform, not by apply]',
    );
    expect(lines.at(-1)).to.equal('7 exchanges, 35 queues, 16 bindings, 2 users');
  });

  it("reads the broker's inequivalent-argument refusals", () => {
    expect(
      parseInequivalentArg(
        "Operation failed: QueueDeclare; 406 (PRECONDITION-FAILED) with message \"PRECONDITION_FAILED - inequivalent arg 'x-queue-type' for queue 'q1' in vhost 'v': received 'classic' but current is 'quorum'\"",
      ),
    ).to.deep.equal({ property: 'x-queue-type', declared: 'classic', live: 'quorum' });
    expect(
      parseInequivalentArg(
        "PRECONDITION_FAILED - inequivalent arg 'x-delivery-limit' for queue 'q1' in vhost 'v': received the value '5' of type 'byte' but current is none",
      ),
    ).to.deep.equal({ property: 'x-delivery-limit', declared: 5, live: undefined });
    expect(
      parseInequivalentArg(
        "PRECONDITION_FAILED - inequivalent arg 'x-single-active-consumer' for queue 'q1' in vhost 'v': received none but current is the value 'true' of type 'bool'",
      ),
    ).to.deep.equal({ property: 'x-single-active-consumer', declared: undefined, live: true });
    expect(
      parseInequivalentArg(
        "PRECONDITION_FAILED - inequivalent arg 'type' for exchange 'h' in vhost 'v': received 'topic' but current is ''x-consistent-hash''",
      ),
    ).to.deep.equal({ property: 'type', declared: 'topic', live: 'x-consistent-hash' });
    expect(parseInequivalentArg('NOT_FOUND - no queue')).to.equal(undefined);
  });
});
