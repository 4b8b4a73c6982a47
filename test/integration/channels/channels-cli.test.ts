import { expect } from 'chai';
import { ChannelCredentialStore } from '../../../src/channels';
import { spawnWaggle, testDb, testEnv } from '../../support';
import { freshTenant } from './tenant-fixture';

async function run(args: string[]): Promise<{ code: number | string; out: string }> {
  const p = spawnWaggle(['channels', ...args], testEnv());
  const code = await p.exited;
  return { code, out: p.output() };
}

describe('channels: credentials in Postgres and `waggle channels`', () => {
  it("sets, merges, shows masked, and removes a tenant's credentials", async () => {
    const tenant = await freshTenant();
    const set = await run(['set', tenant, 'slack', 'signingSecret=slack-signing-secret-1234']);
    expect(set.code, set.out).to.equal(0);
    expect(set.out).to.include(`webhook: POST /v1/channels/slack/${tenant}`);
    const merged = await run(['set', tenant, 'slack', 'botToken=xoxb-abcdefgh9876']);
    expect(merged.code, merged.out).to.equal(0);

    const store = new ChannelCredentialStore(await testDb());
    expect((await store.get(tenant, 'slack'))?.settings).to.deep.equal({
      signingSecret: 'slack-signing-secret-1234',
      botToken: 'xoxb-abcdefgh9876',
    });

    const shown = await run(['show', tenant]);
    expect(shown.out).to.include('signingSecret = ****1234').and.include('botToken = ****9876');
    expect(shown.out).not.to.include('slack-signing-secret-1234');

    expect((await run(['remove', tenant, 'slack'])).code).to.equal(0);
    expect(await store.get(tenant, 'slack', { fresh: true })).to.equal(undefined);
  });

  it('refuses, in one line each, an unknown channel, a missing required field and an unknown tenant', async () => {
    const tenant = await freshTenant();
    const badChannel = await run(['set', tenant, 'fax', 'a=b']);
    expect(badChannel.code).to.equal(2);
    expect(badChannel.out).to.match(
      /^waggle: fax: "fax" is not a channel; known: webchat, whatsapp, slack, telegram/m,
    );
    const missing = await run(['set', tenant, 'whatsapp', 'appSecret=x']);
    expect(missing.code).to.equal(2);
    expect(missing.out).to.match(/^waggle: whatsapp: verifyToken is required/m);
    const noTenant = await run(['set', 'no-such-tenant-x1', 'telegram', 'secretToken=abc']);
    expect(noTenant.out).to.include('tenant "no-such-tenant-x1" does not exist');
  });
});
