import { createServer } from 'node:net';

/** A local port nothing listens on right now: bound once by the OS, then released. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no port bound');
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return address.port;
}
