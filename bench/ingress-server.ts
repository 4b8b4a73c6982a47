/**
 * One side of the ingress benchmark, run as its own process so each server gets the same CPU:
 *   node --import tsx bench/ingress-server.ts bare     a bare Koa POST handler (read JSON, answer 202)
 *   node --import tsx bench/ingress-server.ts naive    bare Koa plus one confirmed publish per request (amqplib)
 *   node --import tsx bench/ingress-server.ts waggle   the ingress role (auth, schema, sequence, confirmed publish)
 *   node --import tsx bench/ingress-server.ts floor    naive plus one group-committed Postgres row per request
 * Prints `listening <port>` once ready; stops on SIGTERM.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import amqplib, { type ConfirmChannel } from 'amqplib';
import Koa from 'koa';
import { Pool } from 'pg';
import { loadConfig } from '../src/config';
import { configureLogger } from '../src/observability';
import { createIngressRole, Platform } from '../src/roles';
import { FloorWriter } from './lib/floor-writer';

/** The request body, read in full, the way a bare handler does it. */
async function readBody(ctx: Koa.Context): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** The request's body, published as it came to `events` with a confirm, as the naive handler does. */
function publishConfirmed(channel: ConfirmChannel, body: Buffer, event: BenchEvent): Promise<void> {
  return new Promise<void>((resolve, reject) =>
    channel.publish(
      'events',
      `${event.tenantid}.webchat.${event.type}`,
      body,
      { persistent: true, messageId: event.id, contentType: 'application/cloudevents+json' },
      (err) => (err ? reject(err as Error) : resolve()),
    ),
  );
}

/** Listens on a free port of 127.0.0.1; on SIGTERM closes the server, runs `onStop`, exits. */
async function listen(app: Koa, onStop: () => Promise<void> = async () => undefined): Promise<number> {
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  process.once('SIGTERM', () => server.close(() => void onStop().then(() => process.exit(0))));
  return (server.address() as { port: number }).port;
}

async function bare(): Promise<number> {
  const app = new Koa();
  app.use(async (ctx) => {
    if (ctx.method !== 'POST') return;
    const event = JSON.parse((await readBody(ctx)).toString('utf8')) as { id: string };
    ctx.status = 202;
    ctx.body = { id: event.id, sequence: 1 };
  });
  return listen(app);
}

type BenchEvent = { id: string; tenantid: string; type: string };

/**
 * Reads the JSON, runs `before` on it, publishes the body persistent to `events` on a confirm channel and
 * answers 202 once the broker confirms.
 */
async function publishing(
  before: (event: BenchEvent) => Promise<void>,
  onStop: () => Promise<void>,
): Promise<number> {
  // Nagle off, as on the platform's own broker connections (BrokerConnection).
  const connection = await amqplib.connect(loadConfig().amqpUrl, { noDelay: true });
  const channel = await connection.createConfirmChannel();
  const app = new Koa();
  // Requests still publishing when the load generator hangs up: the channel closes only after them.
  let inFlight = 0;
  app.use(async (ctx) => {
    if (ctx.method !== 'POST') return;
    inFlight += 1;
    try {
      const body = await readBody(ctx);
      const event = JSON.parse(body.toString('utf8')) as BenchEvent;
      await before(event);
      await publishConfirmed(channel, body, event);
      ctx.status = 202;
      ctx.body = { id: event.id, sequence: 1 };
    } finally {
      inFlight -= 1;
    }
  });
  return listen(app, async () => {
    const deadline = Date.now() + 5_000;
    while (inFlight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await connection.close();
    await onStop();
  });
}

/**
 * The handler the target is stated against: read the JSON, publish it persistent to `events` on a confirm
 * channel, answer 202 once the broker confirms. No key check, schema, dedup or sequence.
 */
function naive(): Promise<number> {
  return publishing(
    async () => undefined,
    async () => undefined,
  );
}

/**
 * The floor: the naive handler plus the least a durable ingress must add, one row per event (keyed by its
 * id) committed in group-committed batches before the publish. No key check, schema, sequence or outbox:
 * it bounds from above what admission, which does all of that, can reach here.
 */
async function floor(): Promise<number> {
  const pool = new Pool({ connectionString: loadConfig().databaseUrl, max: 4 });
  const writer = await FloorWriter.open(pool, 'bench_floor_event');
  return publishing(
    (event) => writer.write({ key: `${event.tenantid}/${event.id}`, value: event.type }),
    () => pool.end(),
  );
}

async function waggle(): Promise<number> {
  const config = loadConfig();
  configureLogger({ level: config.logLevel });
  const platform = new Platform({ config, roles: [createIngressRole({ amqpAdmission: false })] });
  const address = await platform.start();
  process.once('SIGTERM', () => void platform.stop().then(() => process.exit(0)));
  return address.port;
}

// BENCH_DEBUG=1: event-loop delay every 2 s on stderr, to tell a saturated process from a waiting one.
if (process.env.BENCH_DEBUG) {
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  setInterval(() => {
    console.error(
      `event loop delay p50 ${(delay.percentile(50) / 1e6).toFixed(1)} ms, p99 ${(delay.percentile(99) / 1e6).toFixed(1)} ms, max ${(delay.max / 1e6).toFixed(1)} ms`,
    );
    delay.reset();
  }, 2000).unref();
}

const modes: Record<string, () => Promise<number>> = { bare, naive, floor, waggle };
const mode = process.argv[2] ?? '';
(modes[mode]?.() ?? Promise.reject(new Error(`mode: ${Object.keys(modes).join(' | ')}`))).then(
  (port) => console.log(`listening ${port}`),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
