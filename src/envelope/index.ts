export { fromAmqpMessage, toAmqpMessage, type IncomingMessage, type OutgoingMessage } from './amqp-mapping';
export {
  CHANNEL_PATTERN,
  CLOUDEVENTS_JSON,
  EVENT_TYPE_PATTERN,
  HEADERS,
  TENANT_ID_PATTERN,
  type AdmittedEvent,
  type WaggleEvent,
} from './envelope';
export { EnvelopeInvalidError, type Violation } from './envelope-errors';
export { ENVELOPE_SCHEMA, validateEnvelope } from './envelope-schema';
export { newEvent, type NewEventInput } from './new-event';
export { isRoutingKeyOf, parseRoutingKey, routingKeyOf } from './routing-key';
export { isTraceparent, newTraceparent, propagateTraceparent } from './trace-context';
export { MAX_NESTING, findUnstorableValue, unstorableText, type UnstorableValue } from './unstorable-text';
export { sessionKeyString, type SessionKey } from './session-key';
