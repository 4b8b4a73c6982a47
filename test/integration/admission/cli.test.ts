import { expect } from 'chai';
import {
  postJson,
  sampleEvent,
  spawnWaggle,
  startIngress,
  testEnv,
  uniqueName,
  useTopologyVhost,
} from '../../support';

async function waggle(...args: string[]): Promise<{ code: number | string; stdout: string; output: string }> {
  const p = spawnWaggle(args, testEnv());
  let stdout = '';
  p.child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  const code = await p.exited;
  return { code, stdout, output: p.output() };
}

describe('admission: tenants and keys from the CLI', function () {
  this.timeout(90_000);
  const vhost = useTopologyVhost('cli');

  it('a tenant created with the CLI posts with its printed key and sees increasing sequences; revoke stops it', async () => {
    const tenant = uniqueName('cli');
    const created = await waggle('tenants', 'create', tenant);
    expect(created.code, created.output).to.equal(0);
    expect(created.stdout).to.contain(`created tenant ${tenant}`);
    const key = await waggle('keys', 'create', tenant, '--label', 'test suite');
    expect(key.code, key.output).to.equal(0);
    const token = key.stdout.trim();
    expect(token).to.match(/^wgl_[a-z0-9]{12}_\S{43}$/);
    expect(key.output).to.match(/only time it is shown/);

    const ingress = await startIngress({ vhost: vhost.name });
    const url = `${ingress.url}/v1/events`;
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push(await postJson(url, sampleEvent(tenant), { token }));
    expect(answers.map((a) => [a.status, a.body.sequence])).to.deep.equal([
      [202, 1],
      [202, 2],
      [202, 3],
    ]);

    const listed = await waggle('keys', 'list', '--tenant', tenant, '--json');
    const keys = JSON.parse(listed.stdout) as Array<{ id: string; prefix: string; label: string }>;
    expect(keys).to.have.length(1);
    expect(keys[0]).to.include({ label: 'test suite' });
    expect(listed.stdout).to.not.contain(token.slice(17), 'the secret is never shown again');

    const revoked = await waggle('keys', 'revoke', keys[0]?.prefix as string);
    expect(revoked.code, revoked.output).to.equal(0);
    expect(revoked.stdout).to.match(/within 30s/);
    const fresh = await startIngress({ vhost: vhost.name });
    const refused = await postJson(`${fresh.url}/v1/events`, sampleEvent(tenant), { token });
    expect(refused.status).to.equal(401);
  });

  it('refuses a tenant id that is not a routing-key word, in one line', async () => {
    const bad = await waggle('tenants', 'create', 'acme.eu');
    expect(bad.code).to.equal(2);
    expect(bad.output.trim().split('\n')).to.have.length(1);
    expect(bad.output).to.match(/^waggle: "acme\.eu" is not a tenant id: .*dots are not allowed/);
    const unknown = await waggle('keys', 'create', uniqueName('nobody'));
    expect(unknown.code).to.equal(2);
    expect(unknown.output).to.match(/does not exist; create it first with `waggle tenants create/);
  });

  it('refuses a duplicate tenant and revoking an unknown key', async () => {
    const tenant = uniqueName('cli');
    expect((await waggle('tenants', 'create', tenant)).code).to.equal(0);
    const again = await waggle('tenants', 'create', tenant);
    expect(again.code).to.equal(2);
    expect(again.output).to.contain('already exists');
    const revoke = await waggle('keys', 'revoke', 'wgl_000000000000');
    expect(revoke.code).to.equal(2);
    expect(revoke.output).to.contain('no key has the id');
  });
});
