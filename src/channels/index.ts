export { channelRoutes, type ChannelRoutesDeps } from './channel-routes';
export { CHANNELS_API } from './channels-api';
export { ChannelCredentialStore, channelName, type ChannelCredentials } from './credential-store';
export { OutboundLog, type Queryable } from './outbound-log';
export { SessionStreamHub, type SessionListener, type SessionStreamHubOptions } from './session-stream-hub';
export { SseSessionStream, type SseSessionStreamOptions } from './sse-session-stream';
export { streamRoutes, type StreamRoutesDeps } from './stream-routes';
export {
  deliverOutbound,
  ProviderRejectedError,
  ProviderUnavailableError,
  type DeliveryResult,
  type OutboundDeliveryDeps,
  type ProviderBaseUrls,
} from './outbound-delivery';
