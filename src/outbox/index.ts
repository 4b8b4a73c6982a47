export { outboxMessageFor, type OutboxMessage, type PublishOptions } from './outbox-message';
export { OutboxRelay, type OutboxRelayOptions } from './outbox-relay';
export { OUTBOX_CHANNEL, writeOutbox } from './outbox-writer';
export { relayRole } from './relay-role';
