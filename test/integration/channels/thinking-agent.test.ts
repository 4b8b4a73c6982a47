import { expect } from 'chai';
import type { DataSource } from 'typeorm';
import { outboundDispatcher } from '../../../consumers/outbound-dispatcher';
import { turnProcessor } from '../../../consumers/turn-processor';
import type { AgentAction, Turn, TurnAgent } from '../../../src/agent';
import {
  eventually,
  isolatedDb,
  isolatedDbUrl,
  tapExchange,
  useTopologyVhost,
  tenantWithKey,
  type TestIngress,
} from '../../support';
import { startChannelIngress } from './chat-harness';
import { chatWorkersRole } from './chat-workers';
import { relayRole } from '../../../src/roles';

const DB = 'thinking';
const SESSIONS = 60;
const POOL = 10;

/** An agent that thinks like an LLM call (seconds) and counts how many turns think at once. */
class ThinkingAgent implements TurnAgent {
  readonly name = 'thinking';
  inFlight = 0;
  peak = 0;
  calls = 0;

  constructor(private readonly thinkMs: number) {}

  async respond(turn: Turn, signal: AbortSignal): Promise<AgentAction[]> {
    this.calls += 1;
    this.inFlight += 1;
    this.peak = Math.max(this.peak, this.inFlight);
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(resolve, this.thinkMs);
        signal.addEventListener('abort', () => {
          clearTimeout(timer);
          reject(signal.reason as Error);
        });
      });
    } finally {
      this.inFlight -= 1;
    }
    const said = turn.inputs.map((i) => (i.kind === 'message' ? i.text : i.kind)).join(' / ');
    return [{ kind: 'reply', text: `thought about: ${said}` }];
  }
}

/** The platform's transactions open longer than 500 ms now, each as `<state> <age> ms: <query>`. */
async function longTransactions(db: DataSource): Promise<string[]> {
  const rows = (await db.query(
    `SELECT state || ' ' || round(extract(epoch FROM now() - xact_start) * 1000) || ' ms: ' || query AS state
       FROM pg_stat_activity
      WHERE datname = current_database() AND pid <> pg_backend_pid() AND application_name LIKE 'waggle:%'
        AND now() - xact_start > interval '500 milliseconds'`,
  )) as Array<{ state: string | null }>;
  return rows.map((r) => r.state ?? 'none');
}

describe('channels: turns whose agent thinks for seconds hold no database connection', function () {
  this.timeout(120_000);
  const vhost = useTopologyVhost('thinking');
  let chat: TestIngress;
  let agent: ThinkingAgent;

  beforeEach(async () => {
    agent = new ThinkingAgent(2_000);
    chat = await startChannelIngress(vhost.name, {
      config: { databaseUrl: isolatedDbUrl(DB), dbPool: POOL },
      roles: [
        chatWorkersRole([
          turnProcessor({ agent }),
          outboundDispatcher({ baseUrls: { whatsapp: '', slack: '', telegram: '' }, timeoutMs: 5_000 }),
        ]),
        relayRole(),
      ],
    });
  });

  it(`${SESSIONS} sessions think at once on a pool of ${POOL}, with no connection idle in transaction meanwhile`, async () => {
    const db = await isolatedDb(DB);
    const { tenant, token } = await tenantWithKey('chat', { db });
    const replies = await tapExchange(vhost.name, 'outbound', `${tenant}.#`);
    const sessions = Array.from({ length: SESSIONS }, (_, i) => `think-${i}`);
    await Promise.all(
      sessions.map(async (sessionId) => {
        const res = await fetch(`${chat.url}/v1/channels/webchat/messages`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ sessionId, text: `hello from ${sessionId}` }),
        });
        expect(res.status).to.equal(202);
      }),
    );
    // While the agents think (2 s each), look for platform transactions open longer than a commit takes: a
    // transaction held across the agent's call would be seconds old.
    const states: string[] = [];
    const look = async () => states.push(...(await longTransactions(db)));
    await eventually(async () => {
      await look();
      return agent.inFlight >= SESSIONS;
    }, 'every session’s turn thinking at once');
    for (let i = 0; i < 5 && agent.inFlight > 0; i++) {
      await look();
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(states.filter((s) => s.startsWith('idle in transaction'))).to.deep.equal([]);
    expect(agent.peak).to.equal(SESSIONS);

    await replies.waitFor(SESSIONS, 30_000);
    const bySession = new Map<string, string[]>();
    for (const reply of replies.bodies()) {
      const session = String(reply.sessionid);
      bySession.set(session, [...(bySession.get(session) ?? []), (reply.data as { text: string }).text]);
    }
    expect([...bySession.keys()].sort()).to.deep.equal([...sessions].sort());
    for (const [session, texts] of bySession) {
      expect(texts, session).to.deep.equal([`thought about: hello from ${session}`]);
    }
    expect(agent.calls).to.equal(SESSIONS);
  });
});
