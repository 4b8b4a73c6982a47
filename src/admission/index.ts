export {
  Admission,
  EVENTS_EXCHANGE,
  type AdmissionDeps,
  type AdmissionVia,
  type AdmitOutcome,
} from './admission';
export {
  ADMISSION_PARKED_QUEUE,
  ADMISSION_QUEUE,
  AdmissionConsumer,
  type AdmissionConsumerOptions,
} from './admission-consumer';
export {
  AdmissionBusyError,
  AdmissionStoreError,
  EventInvalidError,
  EventUnstorableError,
  TenantMismatchError,
  type EventViolation,
} from './admission-errors';
export {
  AdmissionLedger,
  eventKey,
  type AdmissionLedgerOptions,
  type LedgerResult,
} from './admission-ledger';
export { DedupPruner, type DedupPrunerOptions } from './dedup-pruner';
export { checkEvent, type EventOrigin } from './event-check';
export { EventSchemaError, EventSchemas } from './event-schemas';
export { MicroBatcher, type MicroBatcherOptions } from './micro-batcher';
export { Republisher, type RepublisherOptions } from './republisher';
