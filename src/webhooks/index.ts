export {
  listAttempts,
  recordAttempt,
  type AttemptFilter,
  type AttemptOutcome,
  type NewAttempt,
  type WebhookAttempt,
} from './attempt-log';
export { endpointDisabledEvent, runAttempt, settleAttempt, type AttemptRunnerDeps } from './attempt-runner';
export {
  deliverySaga,
  INLINE_DELIVERY_STARTS,
  startDeliveries,
  type AttemptCommand,
  type AttemptReply,
  type DeliveryState,
} from './delivery-saga';
export {
  createEndpoint,
  deleteEndpoint,
  disableEndpoint,
  enableEndpoint,
  endpointProblems,
  findEndpoint,
  getEndpoint,
  listEndpoints,
  markEndpointFailing,
  markEndpointHealthy,
  publicEndpoint,
  rotateSecret,
  SUCCESS_WRITE_EVERY_MS,
  type NewEndpoint,
  type WebhookEndpoint,
} from './endpoint-store';
export { EndpointLookup } from './endpoint-lookup';
export { SuccessMarks } from './success-marks';
export { endpointInput } from './endpoint-input';
export { acceptsEventType, eventTypePatternProblem } from './event-filter';
export { retryAfterMs } from './retry-after';
export {
  DEFAULT_TOLERANCE_SECONDS,
  SECRET_PREFIX,
  WEBHOOK_HEADERS,
  WebhookSecretInvalidError,
  WebhookSignatureError,
  generateSecret,
  secretKey,
  sign,
  signedHeaders,
  verify,
  type SignedHeaders,
  type VerifyOptions,
} from './standard-webhooks';
export { WebhookEndpointInvalidError, WebhookEndpointNotFoundError } from './webhook-errors';
export { webhookBody, webhookMessageId } from './webhook-payload';
export { EXCERPT_BYTES, sendWebhook, type AttemptRequest, type AttemptResult } from './webhook-sender';
export {
  ATTEMPT_COMPLETED,
  ATTEMPT_REQUESTED,
  DEFAULT_WEBHOOK_SETTINGS,
  DELIVERY_FAILED,
  ENDPOINT_DISABLED,
  WEBHOOK_SAGA_TYPE,
  type WebhookSettings,
} from './webhook-settings';
export { webhookEndpointRoutes, type WebhookEndpointRoutesDeps } from './webhook-endpoint-routes';
export { webhookEndpointHandlers } from './webhook-endpoint-handlers';
export {
  WebhookRoutingUnavailableError,
  WebhookSubscriptions,
  type BindingChannel,
  type ReconcileReport,
  type WebhookSubscriptionsOptions,
  type WithBindingChannel,
} from './webhook-subscriptions';
export { channelOn, channelPerChange } from './binding-channel';
export { webhookSubscriptionsOf } from './subscriptions-of';
export { keysOfEndpoints, subscriptionKeys } from './subscription-keys';
