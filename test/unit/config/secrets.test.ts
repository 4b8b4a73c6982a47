import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { ConfigError, describeConfig, hidePasswords, loadConfig, VARIABLES } from '../../../src/config';

describe('config: secrets are never printed', () => {
  it('names a too-short admin token and the rule without its value', () => {
    const token = `adm-${randomBytes(2).toString('hex')}`;
    const err = captureConfigError({ WAGGLE_ADMIN_TOKEN: token });
    expect(err.problems).to.deep.equal([
      `WAGGLE_ADMIN_TOKEN: must be at least 16 characters (got ${token.length})`,
    ]);
    expect(err.message).to.not.include(token);
  });

  it('shows a bad URL with its password as ***', () => {
    const password = `pw-${randomBytes(6).toString('hex')}`;
    const err = captureConfigError({ WAGGLE_AMQP_URL: `rabbit://waggle:${password}@broker:5672` });
    expect(err.problems).to.deep.equal([
      'WAGGLE_AMQP_URL: "rabbit://waggle:***@broker:5672" is not an amqp:// or amqps:// URL, or a comma-separated list of them (one per cluster node)',
    ]);
    expect(err.message).to.not.include(password);
  });

  it('describes the configuration with the admin token and every URL password hidden', () => {
    const token = `token-${randomBytes(12).toString('hex')}`;
    const password = `pw-${randomBytes(6).toString('hex')}`;
    const env = {
      WAGGLE_ADMIN_TOKEN: token,
      WAGGLE_AMQP_URL: `amqp://waggle:${password}@broker:5672/prod,amqp://waggle:${password}@broker-2:5672/prod`,
      WAGGLE_MANAGEMENT_URL: `http://waggle:${password}@broker:15672`,
      WAGGLE_DATABASE_URL: `postgres://waggle:${password}@db:5432/waggle`,
      WAGGLE_SLACK_API_URL: `https://bot:${password}@slack.example/api`,
    };
    const lines = Object.fromEntries(describeConfig(env).map(({ env: name, value }) => [name, value]));
    expect(lines).to.include({
      WAGGLE_ADMIN_TOKEN: '***',
      WAGGLE_AMQP_URL: 'amqp://waggle:***@broker:5672/prod,amqp://waggle:***@broker-2:5672/prod',
      WAGGLE_MANAGEMENT_URL: 'http://waggle:***@broker:15672',
      WAGGLE_DATABASE_URL: 'postgres://waggle:***@db:5432/waggle',
      WAGGLE_SLACK_API_URL: 'https://bot:***@slack.example/api',
    });
    const printed = JSON.stringify(lines);
    expect(printed).to.not.include(token).and.to.not.include(password);
  });

  it('marks the admin token and the credential URLs as secret', () => {
    const marked = Object.fromEntries(VARIABLES.filter((v) => v.secret).map((v) => [v.env, v.secret]));
    expect(marked).to.deep.equal({
      WAGGLE_AMQP_URL: 'password',
      WAGGLE_MANAGEMENT_URL: 'password',
      WAGGLE_DATABASE_URL: 'password',
      WAGGLE_ADMIN_TOKEN: 'value',
      WAGGLE_AGENT_SECRET: 'value',
    });
  });

  it('names a malformed agent secret by its length, and refuses an agent URL without a secret', () => {
    const secret = `whsec_${randomBytes(4).toString('base64')}`;
    const err = captureConfigError({
      WAGGLE_AGENT_URL: 'http://agent.example/turns',
      WAGGLE_AGENT_SECRET: secret,
    });
    expect(err.problems).to.deep.equal([
      `WAGGLE_AGENT_SECRET: must be whsec_ followed by base64 of 24–64 bytes (required with WAGGLE_AGENT_URL) (got ${secret.length})`,
    ]);
    expect(err.message).to.not.include(secret);
    expect(captureConfigError({ WAGGLE_AGENT_URL: 'http://agent.example/turns' }).problems).to.deep.equal([
      'WAGGLE_AGENT_SECRET: must be set when WAGGLE_AGENT_URL is (the turns sent there are signed with it)',
    ]);
    const good = `whsec_${randomBytes(32).toString('base64')}`;
    const lines = Object.fromEntries(
      describeConfig({ WAGGLE_AGENT_URL: 'http://agent.example/turns', WAGGLE_AGENT_SECRET: good }).map(
        ({ env: name, value }) => [name, value],
      ),
    );
    expect(lines).to.include({ WAGGLE_AGENT_URL: 'http://agent.example/turns', WAGGLE_AGENT_SECRET: '***' });
  });
});

describe('config: hidePasswords', () => {
  const cases: Array<[string, string]> = [
    ['amqp://guest:guest@127.0.0.1:5672', 'amqp://guest:***@127.0.0.1:5672'],
    ['postgres://postgres@127.0.0.1:5432/waggle', 'postgres://postgres@127.0.0.1:5432/waggle'],
    ['http://127.0.0.1:8080/v1/health', 'http://127.0.0.1:8080/v1/health'],
    ['postgres://u:p@ss/w0rd@db:5432/x', 'postgres://u:***@db:5432/x'],
    [
      'postgres://db:5432/x?user=u&password=s3cret&ssl=true',
      'postgres://db:5432/x?user=u&password=***&ssl=true',
    ],
    [
      'cannot reach amqp://a:b@h1:5672 nor "http://c:d@h2:15672"',
      'cannot reach amqp://a:***@h1:5672 nor "http://c:***@h2:15672"',
    ],
    [
      'amqp://a:b@h1:5672/v, amqp://a:b@h2:5672/v,amqp://a:b@h3:5672/v',
      'amqp://a:***@h1:5672/v, amqp://a:***@h2:5672/v,amqp://a:***@h3:5672/v',
    ],
    ['amqp://a:pa,ss@h1:5672', 'amqp://a:***@h1:5672'],
  ];
  for (const [text, shown] of cases) {
    it(`shows ${text} as ${shown}`, () => expect(hidePasswords(text)).to.equal(shown));
  }
});

function captureConfigError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('loadConfig accepted a bad environment');
}
