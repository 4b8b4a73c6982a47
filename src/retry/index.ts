export { DeliveryLedger, type LedgerSql } from './delivery-ledger';
export {
  describeFailure,
  truncateUtf8,
  MESSAGE_LIMIT_BYTES,
  STACK_LIMIT_BYTES,
  VIOLATIONS_LIMIT_BYTES,
  type Failure,
} from './failure';
export { failureHeaders, type FailureRecord } from './failure-headers';
export { parkMessage, parkedHeaders, type ParkRequest } from './parking';
export {
  groupParked,
  listParked,
  replayParked,
  toParkedMessage,
  type ParkedListOptions,
  type ParkedMessage,
  type ReplayOptions,
  type ReplayResult,
} from './replay';
export {
  RETRY_HEADERS,
  attemptsOf,
  deferralsOf,
  firstFailureOf,
  originalExchangeOf,
  originalRoutingKeyOf,
  replaysOf,
  withoutBrokerHeaders,
  withoutFailureHeaders,
} from './retry-headers';
export {
  NO_RETRY,
  backoffAfter,
  mayRetry,
  normalizeRetryPolicy,
  parkedQueueOf,
  retryTierQueue,
  type RetryPolicy,
} from './retry-policy';
export { republishProperties, sourceOf, type SourceMessage } from './source-message';
export { republishToTier, type TierRetryRequest } from './tier-republish';
export { deferToTier, deferralWait, type TierDeferral } from './tier-deferral';
export {
  ParkingLots,
  UnknownParkingLotError,
  type ParkedGroup,
  type ParkedSelection,
  type ParkingLotDepth,
  type ParkingLotsOptions,
} from './parking-lots';
