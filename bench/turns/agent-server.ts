import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the bench agent saw: when each input's turn reached it, and when it wrote each turn's first delta. */
export interface BenchAgent {
  url: string;
  /** Input event id → epoch ms when the turn holding it reached the agent. */
  called: Map<string, number>;
  /** Turn id → epoch ms when its first delta was written. */
  firstDelta: Map<string, number>;
  /** Requests in progress now, and the most at once. */
  inFlight: number;
  peak: number;
  /** Changes how long the next turns think. */
  setThink(ms: number): void;
  close(): Promise<void>;
}

interface TurnRequest {
  turnId: string;
  inputs: Array<{ id: string; kind: string; text?: string }>;
}

function readJson(req: IncomingMessage): Promise<TurnRequest> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as TurnRequest);
      } catch (err) {
        reject(err as Error);
      }
    });
    req.on('error', reject);
  });
}

/**
 * A local HTTP agent as an LLM behind an HTTP service behaves: it thinks `thinkMs` per turn and streams
 * `deltas` NDJSON delta lines spread over that time, then the actions line with one reply.
 */
export async function benchAgent(options: { thinkMs: number; deltas: number }): Promise<BenchAgent> {
  const { deltas } = options;
  let thinkMs = options.thinkMs;
  const state = { inFlight: 0, peak: 0 };
  const called = new Map<string, number>();
  const firstDelta = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const arrived = Date.now();
    state.inFlight += 1;
    state.peak = Math.max(state.peak, state.inFlight);
    let done = false;
    const timers: NodeJS.Timeout[] = [];
    const finish = () => {
      if (done) return;
      done = true;
      state.inFlight -= 1;
      for (const t of timers) clearTimeout(t);
    };
    // The client went away before the answer was complete (a superseded turn).
    res.on('close', () => {
      if (!res.writableFinished) finish();
    });
    void readJson(req).then(
      (turn) => {
        for (const input of turn.inputs) called.set(input.id, arrived);
        res.writeHead(200, { 'content-type': 'application/x-ndjson' });
        const step = thinkMs / deltas;
        for (let i = 0; i < deltas; i++) {
          timers.push(
            setTimeout(() => {
              if (i === 0) firstDelta.set(turn.turnId, Date.now());
              res.write(`${JSON.stringify({ type: 'delta', text: `token-${i} ` })}\n`);
            }, step * i),
          );
        }
        timers.push(
          setTimeout(() => {
            const text = `answered ${turn.inputs.length} input(s)`;
            res.end(`${JSON.stringify({ type: 'actions', actions: [{ kind: 'reply', text }] })}\n`);
            finish();
          }, thinkMs),
        );
      },
      () => {
        res.writeHead(400).end();
        finish();
      },
    );
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/turns`,
    called,
    firstDelta,
    get inFlight() {
      return state.inFlight;
    },
    get peak() {
      return state.peak;
    },
    setThink(ms: number) {
      thinkMs = ms;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
