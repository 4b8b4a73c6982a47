export { outboxMessageFor, type OutboxMessage, type PublishOptions } from './outbox-message';
export { OutboxRelay, type OutboxRelayOptions } from './outbox-relay';
export { OUTBOX_CHANNEL, writeOutbox, type WriteOutboxOptions } from './outbox-writer';
export { relayRole } from './relay-role';
export { OutboxDispatch, type OutboxDispatchOptions } from './outbox-dispatch';
