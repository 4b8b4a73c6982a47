export { outboxMessageFor, type OutboxMessage, type PublishOptions } from './outbox-message';
export { OutboxRelay, type OutboxRelayOptions } from './outbox-relay';
export { OUTBOX_CHANNEL, writeOutbox, type WriteOutboxOptions } from './outbox-writer';
export { OutboxDispatch, type OutboxDispatchOptions } from './outbox-dispatch';
