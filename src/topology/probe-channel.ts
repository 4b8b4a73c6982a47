import type { Channel } from 'amqplib';
import { TopologyApplyError } from './topology-errors';

/** Opens a fresh channel on the same connection. */
export type ChannelOpener = () => Promise<Channel>;

/** What a probe found: done, refused as inequivalent (406), or not found (404). */
export type ProbeOutcome = { ok: true } | { ok: false; code: 404 | 406; message: string };

/**
 * A throwaway channel for declarations the broker may refuse. A refused declaration closes the channel it
 * ran on; running it here first keeps the caller's channel (and its consumers) alive.
 */
export class ProbeChannel {
  private channel: Channel | undefined;

  constructor(private readonly open: ChannelOpener) {}

  async attempt(fn: (ch: Channel) => Promise<unknown>): Promise<ProbeOutcome> {
    const ch = await this.current();
    try {
      await fn(ch);
      return { ok: true };
    } catch (err) {
      this.channel = undefined; // the broker closed it
      const code = (err as { code?: unknown }).code;
      if (code === 404 || code === 406) return { ok: false, code, message: (err as Error).message };
      throw new TopologyApplyError(`the broker refused a declaration: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }

  async close(): Promise<void> {
    const ch = this.channel;
    this.channel = undefined;
    await ch?.close().catch(() => undefined);
  }

  private async current(): Promise<Channel> {
    if (this.channel) return this.channel;
    const ch = await this.open();
    // a refused declaration is an 'error' event on the channel; without a listener it would crash the process
    ch.on('error', () => undefined);
    this.channel = ch;
    return ch;
  }
}

/**
 * Opens a sibling of `channel` on its connection. amqplib 2 offers no public way from a channel to its
 * model, but its channel classes open a new channel on the raw connection they were built with.
 */
export function siblingChannelOpener(channel: Channel): ChannelOpener {
  const Ctor = channel.constructor as new (connection: unknown) => Channel & { open(): Promise<unknown> };
  return async () => {
    const sibling = new Ctor(channel.connection);
    sibling.on('error', () => undefined);
    await sibling.open();
    return sibling;
  };
}
