import net from 'node:net';
import { loadConfig, nodeUrls } from '../../src/config';
import { autoTeardown } from './teardown';

const FRAME_END = 0xce;

/**
 * A TCP proxy in front of RabbitMQ for failure tests that must not touch the shared broker: `cut()`
 * drops every connection and refuses new ones (as a stopped broker would look to this process),
 * `holdReplies()` keeps the broker's frames (confirms) from reaching the client, and `injectBlocked()`
 * writes an AMQP connection.blocked frame to the client, as the broker does on a resource alarm.
 */
export class AmqpProxy {
  private readonly server: net.Server;
  private readonly links = new Set<Link>();
  private refusing = false;
  private holding = false;
  private holdingRequests = false;

  private constructor(private readonly target: { host: string; port: number }) {
    this.server = net.createServer((client) => this.accept(client));
  }

  /** Starts a proxy to the configured broker on a free local port; closed after the test. */
  static async start(): Promise<AmqpProxy> {
    const url = new URL(firstNode());
    const proxy = new AmqpProxy({ host: url.hostname, port: Number(url.port || 5672) });
    await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
    autoTeardown(() => proxy.close());
    return proxy;
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  /** An AMQP URL through this proxy to `vhost`. */
  url(vhost: string): string {
    const url = new URL(firstNode());
    url.hostname = '127.0.0.1';
    url.port = String(this.port);
    url.pathname = `/${encodeURIComponent(vhost)}`;
    return url.toString();
  }

  /** Drops every proxied connection and refuses new ones until `restore()`. */
  cut(): void {
    this.refusing = true;
    for (const link of this.links) link.destroy();
    this.links.clear();
  }

  /** Accepts connections again (clients reconnect on their own). */
  restore(): void {
    this.refusing = false;
  }

  /** Holds back everything the broker sends (confirms included) until `releaseReplies()`. */
  holdReplies(): void {
    this.holding = true;
  }

  releaseReplies(): void {
    this.holding = false;
    for (const link of this.links) link.pump();
  }

  /** Holds back everything clients send (publishes included): it never reaches the broker if then `cut()`. */
  holdRequests(): void {
    this.holdingRequests = true;
  }

  releaseRequests(): void {
    this.holdingRequests = false;
    for (const link of this.links) link.pumpRequests();
  }

  /** Sends connection.blocked (reason) to every client, between two broker frames. */
  injectBlocked(reason = 'low on memory'): void {
    const reasonBytes = Buffer.from(reason);
    const payload = Buffer.alloc(4 + 1 + reasonBytes.length);
    payload.writeUInt16BE(10, 0); // class connection
    payload.writeUInt16BE(60, 2); // method blocked
    payload.writeUInt8(reasonBytes.length, 4);
    reasonBytes.copy(payload, 5);
    for (const link of this.links) link.inject(methodFrame(payload));
  }

  /** Sends connection.unblocked to every client. */
  injectUnblocked(): void {
    const payload = Buffer.alloc(4);
    payload.writeUInt16BE(10, 0);
    payload.writeUInt16BE(61, 2);
    for (const link of this.links) link.inject(methodFrame(payload));
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: net.Socket): void {
    if (this.refusing) {
      client.destroy();
      return;
    }
    const link = new Link(
      client,
      net.connect(this.target),
      () => this.holding,
      () => this.holdingRequests,
    );
    this.links.add(link);
    link.onClose(() => this.links.delete(link));
  }
}

function methodFrame(payload: Buffer): Buffer {
  const frame = Buffer.alloc(7 + payload.length + 1);
  frame.writeUInt8(1, 0); // method frame
  frame.writeUInt16BE(0, 1); // channel 0
  frame.writeUInt32BE(payload.length, 3);
  payload.copy(frame, 7);
  frame.writeUInt8(FRAME_END, 7 + payload.length);
  return frame;
}

// One client ⇄ broker pair. Broker → client bytes are cut into whole frames so that injected frames land
// between them; frames wait in `pending` while replies are held.
class Link {
  private buffered = Buffer.alloc(0);
  private readonly pending: Buffer[] = [];
  private readonly requests: Buffer[] = [];
  private closed = false;
  private readonly closeHandlers: Array<() => void> = [];

  constructor(
    private readonly client: net.Socket,
    private readonly broker: net.Socket,
    private readonly holding: () => boolean,
    private readonly holdingRequests: () => boolean,
  ) {
    client.on('data', (d) => {
      this.requests.push(d);
      this.pumpRequests();
    });
    broker.on('data', (d) => this.fromBroker(d));
    for (const s of [client, broker]) {
      s.on('error', () => this.destroy());
      s.on('close', () => this.destroy());
    }
  }

  onClose(fn: () => void): void {
    this.closeHandlers.push(fn);
  }

  inject(frame: Buffer): void {
    if (!this.closed) this.client.write(frame);
  }

  pump(): void {
    while (!this.holding() && this.pending.length > 0 && !this.closed) {
      this.client.write(this.pending.shift() as Buffer);
    }
  }

  pumpRequests(): void {
    while (!this.holdingRequests() && this.requests.length > 0 && !this.closed) {
      this.broker.write(this.requests.shift() as Buffer);
    }
  }

  destroy(): void {
    if (this.closed) return;
    this.closed = true;
    this.client.destroy();
    this.broker.destroy();
    for (const fn of this.closeHandlers) fn();
  }

  private fromBroker(data: Buffer): void {
    this.buffered = Buffer.concat([this.buffered, data]);
    for (;;) {
      if (this.buffered.length < 7) break;
      const size = this.buffered.readUInt32BE(3);
      const total = 7 + size + 1;
      if (this.buffered.length < total) break;
      this.pending.push(this.buffered.subarray(0, total));
      this.buffered = this.buffered.subarray(total);
    }
    this.pump();
  }
}

/** The first node of the configured AMQP URL list: the proxy stands in front of one node. */
function firstNode(): string {
  const list = loadConfig().amqpUrl;
  return nodeUrls(list)[0] ?? list;
}
