/**
 * The saga bench's tool and webhook receiver, in a process of their own: they stand for services outside
 * the platform, so neither the baselines nor waggle pay for serving them.
 *
 *   node --import tsx bench/saga-endpoints.ts
 *
 * Prints `tool <url>` (answers every POST 200 with a small JSON body) and `hook <url>` (answers 204), then
 * serves until SIGTERM.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

async function endpoint(status: number): Promise<string> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(status === 204 ? undefined : '{"ok":true}');
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  process.once('SIGTERM', () => process.exit(0));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

void Promise.all([endpoint(200), endpoint(204)]).then(([tool, hook]) => {
  process.stdout.write(`tool ${tool}\nhook ${hook}\n`);
});
