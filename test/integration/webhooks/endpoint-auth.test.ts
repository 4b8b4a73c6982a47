import { expect } from 'chai';
import { ApiKeyAuthenticator, KeyStore, mintKey } from '../../../src/tenants';
import { loadConfig } from '../../../src/config';
import { createDataSource, poolOf } from '../../../src/db';
import { webhookEndpointRoutes, webhookSubscriptionsOf } from '../../../src/webhooks';
import { HttpServer } from '../../../src/http';
import { autoTeardown, TEST_DATABASE_URL, testDb } from '../../support';

describe('webhooks: tenant key on the endpoint routes', function () {
  this.timeout(30_000);

  async function serve(): Promise<{ url: string; closeDb: () => Promise<void> }> {
    await testDb(); // migrated
    const db = createDataSource({ url: TEST_DATABASE_URL, applicationName: 'waggle-test', poolSize: 1 });
    await db.initialize();
    autoTeardown(() => (db.isInitialized ? db.destroy() : undefined));
    const http = new HttpServer({ host: '127.0.0.1', port: 0 });
    // A topology that lists its webhook keys: registrations write rows only.
    const subscriptions = webhookSubscriptionsOf({
      pool: poolOf(db),
      topology: undefined,
      amqpUrl: loadConfig().amqpUrl,
      managementUrl: loadConfig().managementUrl,
    });
    http.mount(
      webhookEndpointRoutes({ authenticator: new ApiKeyAuthenticator(new KeyStore(db)), db, subscriptions }),
    );
    const { port } = await http.start();
    autoTeardown(() => http.stop(1_000));
    return { url: `http://127.0.0.1:${port}/v1/webhooks/endpoints`, closeDb: () => db.destroy() };
  }

  it('answers 401 AUTHORIZATION_MALFORMED for an Authorization header that is not "Bearer <key>"', async () => {
    const { url } = await serve();
    const res = await fetch(url, { headers: { authorization: 'Basic abc' } });
    expect(res.status).to.equal(401);
    expect(await res.json()).to.include({ code: 'AUTHORIZATION_MALFORMED' });
    expect(res.headers.get('www-authenticate')).to.equal('Bearer realm="waggle"');
  });

  it('answers 503 KEY_CHECK_UNAVAILABLE when the key cannot be looked up (database unreachable)', async () => {
    const { url, closeDb } = await serve();
    await closeDb();
    const res = await fetch(url, { headers: { authorization: `Bearer ${mintKey().token}` } });
    expect(res.status).to.equal(503);
    expect(await res.json()).to.include({ code: 'KEY_CHECK_UNAVAILABLE' });
    expect(res.headers.get('retry-after')).to.equal('2');
  });
});
