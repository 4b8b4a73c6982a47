import { parseKey, secretMatches } from './api-key';
import { ApiKeyRejectedError, TenantNotAdmittedError } from './admission-errors';
import type { KeyStore, StoredKey } from './key-store';
import { TtlCache } from './ttl-cache';

export interface AuthenticatorOptions {
  /** How long a key lookup is trusted; a revoke takes effect within this time. @default 30000 */
  ttlMs?: number;
  /** Most key ids remembered at once. @default 10000 */
  maxEntries?: number;
}

/** Who a request speaks for. */
export interface Principal {
  tenant: string;
  keyId: string;
}

/**
 * Turns a bearer token into the tenant it belongs to. Key lookups are cached for `ttlMs` (found and not
 * found alike) and concurrent misses share one query, so authentication is not a database round trip per
 * request; the secret is checked against the cached hash every time.
 */
export class ApiKeyAuthenticator {
  private readonly cache: TtlCache<StoredKey | null>;
  private readonly loading = new Map<string, Promise<StoredKey | null>>();

  constructor(
    private readonly keys: Pick<KeyStore, 'lookup'>,
    options: AuthenticatorOptions = {},
  ) {
    this.cache = new TtlCache(options.ttlMs ?? 30_000, options.maxEntries ?? 10_000);
  }

  /** The principal of `token`; throws ApiKeyRejectedError or TenantNotAdmittedError (disabled tenant). */
  async authenticate(token: string): Promise<Principal> {
    const parsed = parseKey(token);
    if (!parsed) {
      throw new ApiKeyRejectedError(
        'the bearer token is not a waggle key (expected wgl_<id>_<secret>, as printed by `waggle keys create`)',
      );
    }
    const stored = await this.find(parsed.id);
    if (!stored || !secretMatches(parsed.secret, stored.secretSha256)) {
      throw new ApiKeyRejectedError(
        `key wgl_${parsed.id} is unknown or its secret is wrong; create one with \`waggle keys create <tenant>\``,
      );
    }
    if (stored.revoked) {
      throw new ApiKeyRejectedError(`key wgl_${parsed.id} was revoked; create a new one`);
    }
    if (stored.tenantDisabled) throw new TenantNotAdmittedError(stored.tenant, 'disabled');
    return { tenant: stored.tenant, keyId: stored.id };
  }

  private async find(id: string): Promise<StoredKey | null> {
    const cached = this.cache.get(id);
    if (cached !== undefined) return cached;
    let pending = this.loading.get(id);
    if (!pending) {
      pending = this.keys
        .lookup(id)
        .then((found) => {
          const value = found ?? null;
          this.cache.set(id, value);
          return value;
        })
        .finally(() => this.loading.delete(id));
      this.loading.set(id, pending);
    }
    return pending;
  }
}
