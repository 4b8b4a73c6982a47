import { parseKey, secretMatches } from './api-key';
import { ApiKeyRejectedError, TenantNotAdmittedError } from './tenant-errors';
import type { KeyStore, StoredKey } from './key-store';
import { TtlCache } from './ttl-cache';

export interface AuthenticatorOptions {
  /** How long a key lookup is trusted; a revoke takes effect within this time. @default 30000 */
  ttlMs?: number;
  /** Most key ids remembered at once. @default 10000 */
  maxEntries?: number;
  /** Clock in ms (tests). @default Date.now */
  now?: () => number;
}

interface Lookup {
  stored: StoredKey | null;
  loadedAt: number;
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
  private readonly cache: TtlCache<Lookup>;
  private readonly loading = new Map<string, Promise<Lookup>>();
  private readonly ttlMs: number;
  private readonly now: () => number;
  // Tokens that passed the full check, until the entry of their key id would expire anyway: the hot path
  // is then one map lookup instead of parsing and hashing the secret on every request.
  private readonly accepted: TtlCache<Principal>;

  constructor(
    private readonly keys: Pick<KeyStore, 'lookup'>,
    options: AuthenticatorOptions = {},
  ) {
    this.ttlMs = options.ttlMs ?? 30_000;
    this.now = options.now ?? Date.now;
    this.cache = new TtlCache(this.ttlMs, options.maxEntries ?? 10_000, this.now);
    this.accepted = new TtlCache(this.ttlMs, options.maxEntries ?? 10_000, this.now);
  }

  /** The principal of `token`; throws ApiKeyRejectedError or TenantNotAdmittedError (disabled tenant). */
  async authenticate(token: string): Promise<Principal> {
    const known = this.accepted.get(token);
    if (known) return known;
    const { principal, loadedAt } = await this.check(token);
    // Trusted no longer than the lookup it rests on, so a revoke still takes effect within the TTL.
    this.accepted.set(token, principal, loadedAt + this.ttlMs - this.now());
    return principal;
  }

  private async check(token: string): Promise<{ principal: Principal; loadedAt: number }> {
    const parsed = parseKey(token);
    if (!parsed) {
      throw new ApiKeyRejectedError(
        'the bearer token is not a waggle key (expected wgl_<id>_<secret>, as printed by `waggle keys create`)',
      );
    }
    const { stored, loadedAt } = await this.find(parsed.id);
    if (!stored || !secretMatches(parsed.secret, stored.secretSha256)) {
      throw new ApiKeyRejectedError(
        `key wgl_${parsed.id} is unknown or its secret is wrong; create one with \`waggle keys create <tenant>\``,
      );
    }
    if (stored.revoked) {
      throw new ApiKeyRejectedError(`key wgl_${parsed.id} was revoked; create a new one`);
    }
    if (stored.tenantDisabled) throw new TenantNotAdmittedError(stored.tenant, 'disabled');
    return { principal: { tenant: stored.tenant, keyId: stored.id }, loadedAt };
  }

  private async find(id: string): Promise<Lookup> {
    const cached = this.cache.get(id);
    if (cached !== undefined) return cached;
    let pending = this.loading.get(id);
    if (!pending) {
      const loadedAt = this.now();
      pending = this.keys
        .lookup(id)
        .then((found) => {
          const value = { stored: found ?? null, loadedAt };
          this.cache.set(id, value);
          return value;
        })
        .finally(() => this.loading.delete(id));
      this.loading.set(id, pending);
    }
    return pending;
  }
}
