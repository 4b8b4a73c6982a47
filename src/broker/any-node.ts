import amqplib, { type ChannelModel } from 'amqplib';
import { hidePasswords, nodeUrls } from '../config';
import { BrokerUnavailableError } from './broker-errors';

/** How long a node may take to accept the connection before the next one is tried. */
const CONNECT_TIMEOUT_MS = 10_000;

/**
 * A plain amqplib connection to the first node of `urls` (one URL or a comma-separated list of cluster nodes)
 * that accepts one, for short tasks that need no reconnecting (CLI commands, parking-lot operations). Throws
 * BrokerUnavailableError naming every node's answer when none does.
 */
export async function connectAnyNode(urls: string): Promise<ChannelModel> {
  const failures: string[] = [];
  for (const url of nodeUrls(urls)) {
    try {
      return await amqplib.connect(url, { timeout: CONNECT_TIMEOUT_MS });
    } catch (err) {
      failures.push(`${hidePasswords(url)}: ${(err as Error).message}`);
    }
  }
  throw new BrokerUnavailableError(`no broker node accepted a connection (${failures.join('; ')})`);
}
