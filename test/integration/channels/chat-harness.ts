import { startIngress, type TestIngress } from '../../support';

/** Starts ingress with its channel routes (no AMQP admission), then `roles`, on `vhost` (topology applied). */
export function startChannelIngress(
  vhost: string,
  options: Pick<NonNullable<Parameters<typeof startIngress>[0]>, 'config' | 'roles'> = {},
): Promise<TestIngress> {
  return startIngress({ vhost, channels: true, role: { amqpAdmission: false }, ...options });
}

/** The database of the chat-loop suites: their outbox relay must not publish other suites' rows. */
export const CHAT_DB = 'channels';
