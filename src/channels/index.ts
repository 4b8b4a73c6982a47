export { ChannelCredentialStore, channelName, type ChannelCredentials } from './credential-store';
