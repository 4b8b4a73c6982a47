import { Agent, request } from 'node:http';
import type { DataSource } from 'typeorm';
import { ManagementClient, amqpUrlForVhost } from '../../src/topology';
import {
  autoTeardown,
  dropIsolatedDb,
  eventually,
  freePort,
  isolatedDb,
  isolatedDbUrl,
  spawnWaggle,
  tenantWithKey,
  testEnv,
  uniqueName,
  waitForOutput,
  type Spawned,
} from '../support';

/** Where a chat run's waggle instances connect: one broker or a cluster's node lists. */
export interface BrokerTarget {
  amqpUrl: string;
  managementUrl: string;
}

/** A `waggle start` instance (every role) of a chat run. */
export interface ChatInstance {
  url: string;
  process: Spawned;
}

/** One step of a run's disruption schedule, run once `at` of all messages are answered. */
export interface ScheduledDisruption {
  at: number;
  name: string;
  act: () => Promise<void>;
}

/** What a chat run counts once every session has its last reply. */
export interface ChatReport {
  sent: number;
  answered: number;
  lost: number;
  answeredTwice: number;
  sessionsOutOfOrder: number;
  replies: number;
  parked: number;
  /** Longest time between two consecutive replies recorded (any sessions), and when it ended. */
  longestPauseMs: number;
  longestPauseEndedAtMs: number;
  /** When each disruption ran, in ms from the first message. */
  disruptions: Array<{ name: string; atMs: number }>;
  durationMs: number;
}

interface ReplyRow {
  session_id: string;
  sequence: string;
  refs: Array<{ id: string; sequence: number }>;
  at_ms: string;
}

const agent = new Agent({ keepAlive: true, maxSockets: 400 });

/** POSTs one web-chat message; the status and body, or the network error. */
function postMessage(
  baseUrl: string,
  token: string,
  message: { id: string; sessionId: string; text: string },
): Promise<{ status: number; body: string }> {
  const body = JSON.stringify(message);
  return new Promise((resolve, reject) => {
    const req = request(
      `${baseUrl}/v1/channels/webchat/messages`,
      {
        method: 'POST',
        agent,
        timeout: 30_000,
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('no answer within 30 s')));
    req.on('error', reject);
    req.end(body);
  });
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A chat run: a vhost of its own on `target`, a migrated database of its own, one tenant and `instances`
 * `waggle start` processes (every role, the shipped topology, the demo agent) sharing the partitions by
 * lease. `converse` then plays web-chat users: each session sends a message, waits for its reply, and sends
 * the next, to whichever instance answers (a message whose request failed is sent again, with the same id,
 * to the other instance).
 */
export class ChatRun {
  readonly instances: ChatInstance[] = [];
  private answeredUpTo = new Map<string, number>();
  private answeredCount = 0;

  private constructor(
    readonly target: BrokerTarget,
    readonly vhost: string,
    readonly db: DataSource,
    readonly tenant: string,
    private readonly token: string,
    private readonly env: Record<string, string>,
  ) {}

  static async start(target: BrokerTarget, instances: number): Promise<ChatRun> {
    const vhost = uniqueName('chat-chaos');
    const management = new ManagementClient(target.managementUrl, '/');
    const user = decodeURIComponent(new URL(target.amqpUrl.split(',')[0] as string).username || 'guest');
    await management.put(`/vhosts/${encodeURIComponent(vhost)}`, {});
    autoTeardown(() => management.delete(`/vhosts/${encodeURIComponent(vhost)}`).catch(() => undefined));
    await management.put(`/permissions/${encodeURIComponent(vhost)}/${encodeURIComponent(user)}`, {
      configure: '.*',
      write: '.*',
      read: '.*',
    });
    const dbName = uniqueName('chat_chaos').replace('-', '_');
    const db = await isolatedDb(dbName);
    autoTeardown(() => dropIsolatedDb(dbName));
    const { tenant, token } = await tenantWithKey('chat', { db });
    const env = {
      WAGGLE_AMQP_URL: amqpUrlForVhost(target.amqpUrl, vhost),
      WAGGLE_MANAGEMENT_URL: target.managementUrl,
      WAGGLE_DATABASE_URL: isolatedDbUrl(dbName),
      WAGGLE_HTTP_HOST: '127.0.0.1',
      WAGGLE_RATE_LIMIT: '0',
      // A killed instance's partitions move to the other within seconds.
      WAGGLE_LEASE_TTL: '3s',
    };
    const run = new ChatRun(target, vhost, db, tenant, token, env);
    // One after the other: the first applies the topology and the migrations alone.
    for (let i = 0; i < instances; i++) await run.spawnInstance();
    return run;
  }

  private async spawnInstance(): Promise<ChatInstance> {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const child = spawnWaggle(
      ['start'],
      testEnv({ ...this.env, WAGGLE_HTTP_PORT: String(port), WAGGLE_PUBLIC_URL: url }),
    );
    await waitForOutput(child, /waggle is up/, 120_000);
    const instance = { url, process: child };
    this.instances.push(instance);
    return instance;
  }

  /** Messages answered so far (a message answered twice counts twice). */
  answered(): number {
    return this.answeredCount;
  }

  /**
   * `sessions` users each send `messages` messages, one at a time (the next once the last is answered and
   * `thinkMs` has passed); `schedule` runs as the share of answered messages passes each step's `at`.
   */
  async converse(
    sessions: number,
    messages: number,
    schedule: ScheduledDisruption[],
    thinkMs = 50,
  ): Promise<ChatReport> {
    const started = Date.now();
    const total = sessions * messages;
    const disruptions: ChatReport['disruptions'] = [];
    let finished = false;
    const poller = (async () => {
      while (!finished) {
        await this.readProgress().catch(() => undefined);
        await pause(200);
      }
    })();
    const chaos = (async () => {
      for (const step of schedule) {
        while (!finished && this.answeredCount < total * step.at) await pause(100);
        if (finished) return;
        disruptions.push({ name: step.name, atMs: Date.now() - started });
        await step.act();
      }
    })();
    const prefix = uniqueName('m');
    try {
      await Promise.all(
        Array.from({ length: sessions }, (_, s) =>
          this.session(`s${s}`, s % this.instances.length, messages, prefix, thinkMs),
        ),
      );
    } finally {
      finished = true;
      await poller;
    }
    await chaos;
    return this.report(sessions, messages, started, disruptions);
  }

  private async session(
    sessionId: string,
    home: number,
    messages: number,
    prefix: string,
    thinkMs: number,
  ): Promise<void> {
    let at = home;
    for (let n = 1; n <= messages; n++) {
      const message = { id: `${prefix}-${sessionId}-${n}`, sessionId, text: `message ${n}` };
      const sequence = await eventually(
        async () => {
          const instance = this.instances[at] as ChatInstance;
          const outcome = await postMessage(instance.url, this.token, message).catch((err: Error) => ({
            status: 0,
            body: err.message,
          }));
          if (outcome.status === 200 || outcome.status === 202) {
            return (JSON.parse(outcome.body) as { sequence: number }).sequence;
          }
          if (outcome.status === 0 || outcome.status >= 500 || outcome.status === 429) {
            // The instance is gone or cannot admit right now: the same message, to the other instance.
            at = (at + 1) % this.instances.length;
            return undefined;
          }
          throw new Error(`${message.id}: HTTP ${outcome.status} ${outcome.body}`);
        },
        `${message.id} admitted`,
        { timeoutMs: 180_000, everyMs: 250 },
      );
      if (sequence !== n) throw new Error(`${message.id} was admitted as sequence ${sequence}, not ${n}`);
      await eventually(() => (this.answeredUpTo.get(sessionId) ?? 0) >= n, `a reply to ${message.id}`, {
        timeoutMs: 180_000,
        everyMs: 50,
      });
      await pause(Math.random() * thinkMs);
    }
  }

  /** How far each session is answered, from the replies recorded in the session's outbound log. */
  private async readProgress(): Promise<void> {
    const rows = (await this.db.query(
      `SELECT o.session_id, max((r->>'sequence')::int) AS upto, count(*)::int AS refs
         FROM outbound_event o, jsonb_array_elements(o.envelope->'data'->'inReplyTo') r
        WHERE o.tenant = $1 AND o.type = 'message.reply'
        GROUP BY o.session_id`,
      [this.tenant],
    )) as Array<{ session_id: string; upto: number; refs: number }>;
    let count = 0;
    for (const row of rows) {
      this.answeredUpTo.set(row.session_id, row.upto);
      count += row.refs;
    }
    this.answeredCount = count;
  }

  private async report(
    sessions: number,
    messages: number,
    started: number,
    disruptions: ChatReport['disruptions'],
  ): Promise<ChatReport> {
    const rows = (await this.db.query(
      `SELECT session_id, sequence, envelope->'data'->'inReplyTo' AS refs,
              (extract(epoch FROM created_at) * 1000)::bigint AS at_ms
         FROM outbound_event WHERE tenant = $1 AND type = 'message.reply'
        ORDER BY session_id, sequence`,
      [this.tenant],
    )) as ReplyRow[];
    const answers = new Map<string, number>();
    const outOfOrder = new Set<string>();
    const last = new Map<string, number>();
    for (const row of rows) {
      for (const ref of row.refs) {
        const key = `${row.session_id}#${ref.sequence}`;
        answers.set(key, (answers.get(key) ?? 0) + 1);
        if (ref.sequence <= (last.get(row.session_id) ?? 0)) outOfOrder.add(row.session_id);
        last.set(row.session_id, ref.sequence);
      }
    }
    let answered = 0;
    for (let s = 0; s < sessions; s++)
      for (let n = 1; n <= messages; n++) if (answers.has(`s${s}#${n}`)) answered += 1;
    const times = rows.map((r) => Number(r.at_ms)).sort((a, b) => a - b);
    let longestPauseMs = 0;
    let longestPauseEndedAtMs = 0;
    for (let i = 1; i < times.length; i++) {
      const gap = (times[i] as number) - (times[i - 1] as number);
      if (gap > longestPauseMs) {
        longestPauseMs = gap;
        longestPauseEndedAtMs = (times[i] as number) - started;
      }
    }
    return {
      sent: sessions * messages,
      answered,
      lost: sessions * messages - answered,
      answeredTwice: [...answers.values()].filter((c) => c > 1).length,
      sessionsOutOfOrder: outOfOrder.size,
      replies: rows.length,
      parked: await this.parked(),
      longestPauseMs,
      longestPauseEndedAtMs,
      disruptions,
      durationMs: Date.now() - started,
    };
  }

  /** Messages in the vhost's parking lots (`*.parked`). */
  private async parked(): Promise<number> {
    const client = new ManagementClient(this.target.managementUrl, this.vhost);
    const queues = await client.get<Array<{ name: string; messages?: number }>>(
      `/queues/${client.vhostPath}?columns=name,messages`,
    );
    return queues.filter((q) => q.name.endsWith('.parked')).reduce((n, q) => n + (q.messages ?? 0), 0);
  }
}
