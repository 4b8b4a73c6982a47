import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { autoTeardown } from '../../support';

/** One request an agent server received. */
export interface AgentRequest {
  headers: IncomingMessage['headers'];
  raw: Buffer;
  body: Record<string, unknown>;
  /** Whether the client closed the connection before the answer ended. */
  cut: boolean;
}

/** A local HTTP server standing in for an agent: `answer` writes each response. */
export async function agentServer(
  answer: (res: ServerResponse, request: AgentRequest, index: number) => void | Promise<void>,
): Promise<{ url: string; requests: AgentRequest[]; connections: () => number }> {
  const requests: AgentRequest[] = [];
  let connections = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const request: AgentRequest = {
        headers: req.headers,
        raw,
        body: JSON.parse(raw.toString('utf8')) as Record<string, unknown>,
        cut: false,
      };
      res.on('close', () => {
        if (!res.writableFinished) request.cut = true;
      });
      requests.push(request);
      void answer(res, request, requests.length - 1);
    });
  });
  server.on('connection', () => (connections += 1));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  autoTeardown(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/turns`, requests, connections: () => connections };
}

/** Writes an NDJSON line (one chunk). */
export function writeLine(res: ServerResponse, value: unknown): void {
  res.write(`${JSON.stringify(value)}\n`);
}
