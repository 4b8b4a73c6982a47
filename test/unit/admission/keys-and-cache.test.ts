import { expect } from 'chai';
import {
  ApiKeyAuthenticator,
  ApiKeyRejectedError,
  mintKey,
  parseKey,
  type StoredKey,
  TenantNotAdmittedError,
  TtlCache,
} from '../../../src/tenants';

describe('admission: API keys', () => {
  it('mints wgl_<id>_<secret> tokens whose secret is stored only as a hash', () => {
    const key = mintKey();
    expect(key.token).to.match(/^wgl_[a-z0-9]{12}_[A-Za-z0-9_-]{43}$/);
    expect(key.prefix).to.equal(`wgl_${key.id}`);
    expect(key.secretSha256).to.have.length(32);
    expect(key.secretSha256.toString('hex')).to.not.contain(key.token.slice(17));
    expect(parseKey(key.token)).to.deep.equal({ id: key.id, secret: key.token.slice(17) });
    expect(parseKey('Bearer nope')).to.equal(undefined);
    expect(mintKey().id).to.not.equal(key.id);
  });

  it('authenticates from a cache: one lookup per key id while the entry lives', async () => {
    const key = mintKey();
    let lookups = 0;
    const stored: StoredKey = {
      id: key.id,
      tenant: 'acme',
      secretSha256: key.secretSha256,
      revoked: false,
      tenantDisabled: false,
    };
    const auth = new ApiKeyAuthenticator({
      lookup: async () => {
        lookups += 1;
        return stored;
      },
    });
    const results = await Promise.all(Array.from({ length: 20 }, () => auth.authenticate(key.token)));
    expect(results[0]).to.deep.equal({ tenant: 'acme', keyId: key.id });
    expect(lookups).to.equal(1);
    const wrongSecret = `${key.prefix}_${'B'.repeat(43)}`;
    await expect(auth.authenticate(wrongSecret)).to.be.rejectedWith(
      ApiKeyRejectedError,
      /unknown or its secret is wrong/,
    );
    expect(lookups).to.equal(1);
  });

  it('honours a revoke within the cache TTL, however recently the token was last accepted', async () => {
    const key = mintKey();
    let now = 0;
    let revoked = false;
    const auth = new ApiKeyAuthenticator(
      {
        lookup: async () => ({
          id: key.id,
          tenant: 'acme',
          secretSha256: key.secretSha256,
          revoked,
          tenantDisabled: false,
        }),
      },
      { ttlMs: 30_000, now: () => now },
    );
    await auth.authenticate(key.token); // the key's lookup is loaded at 0
    revoked = true;
    now = 29_000;
    await auth.authenticate(key.token); // still trusted: the revoke is 29 s old, within the TTL
    now = 30_000;
    await expect(auth.authenticate(key.token)).to.be.rejectedWith(ApiKeyRejectedError, /revoked/);
  });

  it('refuses revoked keys, keys of disabled tenants and unknown ids', async () => {
    const key = mintKey();
    const base: StoredKey = {
      id: key.id,
      tenant: 'acme',
      secretSha256: key.secretSha256,
      revoked: false,
      tenantDisabled: false,
    };
    await expect(
      new ApiKeyAuthenticator({ lookup: async () => ({ ...base, revoked: true }) }).authenticate(key.token),
    ).to.be.rejectedWith(ApiKeyRejectedError, /revoked/);
    await expect(
      new ApiKeyAuthenticator({ lookup: async () => ({ ...base, tenantDisabled: true }) }).authenticate(
        key.token,
      ),
    ).to.be.rejectedWith(TenantNotAdmittedError, /disabled/);
    await expect(
      new ApiKeyAuthenticator({ lookup: async () => undefined }).authenticate(key.token),
    ).to.be.rejectedWith(ApiKeyRejectedError);
  });

  it('TtlCache expires entries and stays within its bound', () => {
    let now = 0;
    const cache = new TtlCache<number>(1000, 3, () => now);
    cache.set('a', 1);
    cache.set('b', 2);
    cache.set('c', 3);
    cache.set('d', 4);
    expect(cache.size).to.equal(3);
    expect(cache.get('a')).to.equal(undefined);
    expect(cache.get('d')).to.equal(4);
    now = 1000;
    expect(cache.get('d')).to.equal(undefined);
  });
});
