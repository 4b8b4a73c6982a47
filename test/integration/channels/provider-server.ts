import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { autoTeardown, eventually } from '../../support';

/** One request a provider stand-in received. */
export interface ProviderRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** What the stand-in answers to one request. */
export interface ProviderReply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/** A local HTTP server standing in for a provider's send API; closed after the test. */
export interface ProviderServer {
  url: string;
  requests: ProviderRequest[];
  /** Resolves once `count` requests arrived. */
  waitFor(count: number, timeoutMs?: number): Promise<ProviderRequest[]>;
}

/** Starts a stand-in that answers each request with `answer(request, index)` (index from 0). */
export async function providerServer(
  answer: (request: ProviderRequest, index: number) => ProviderReply,
): Promise<ProviderServer> {
  const requests: ProviderRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const request = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      const reply = answer(request, requests.length);
      requests.push(request);
      res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
      res.end(JSON.stringify(reply.body));
    });
  });
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  autoTeardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    async waitFor(count, timeoutMs = 30_000) {
      return eventually(() => requests, `${count} provider request(s)`, {
        timeoutMs,
        everyMs: 20,
        done: (got) => got.length >= count,
      });
    },
  };
}
