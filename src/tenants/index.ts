export { KEY_PREFIX, mintKey, parseKey, type MintedKey } from './api-key';
export { ApiKeyAuthenticator, type AuthenticatorOptions, type Principal } from './authenticator';
export { KeyRejectedError, KeyStore, type ApiKeyInfo, type StoredKey } from './key-store';
export { TenantDirectory } from './tenant-directory';
export { TenantRejectedError, TenantStore, tenantIdProblem, type Tenant } from './tenant-store';
export { ApiKeyRejectedError, TenantNotAdmittedError } from './tenant-errors';
export { TtlCache } from './ttl-cache';
export { authenticateTenant, type TenantKeyOptions } from './tenant-key-auth';
export { tenantProblem } from './tenant-problems';
