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
  ApiKeyRejectedError,
  EventInvalidError,
  EventUnstorableError,
  TenantMismatchError,
  TenantNotAdmittedError,
  type EventViolation,
} from './admission-errors';
export {
  AdmissionLedger,
  eventKey,
  type AdmissionLedgerOptions,
  type LedgerResult,
} from './admission-ledger';
export { KEY_PREFIX, mintKey, parseKey, type MintedKey } from './api-key';
export { ApiKeyAuthenticator, type AuthenticatorOptions, type Principal } from './authenticator';
export { DedupPruner, type DedupPrunerOptions } from './dedup-pruner';
export { checkEvent, type EventOrigin } from './event-check';
export { EventSchemaError, EventSchemas } from './event-schemas';
export { KeyRejectedError, KeyStore, type ApiKeyInfo, type StoredKey } from './key-store';
export { MicroBatcher, type MicroBatcherOptions } from './micro-batcher';
export { Republisher, type RepublisherOptions } from './republisher';
export { TenantDirectory } from './tenant-directory';
export { TenantRejectedError, TenantStore, tenantIdProblem, type Tenant } from './tenant-store';
export { TtlCache } from './ttl-cache';
