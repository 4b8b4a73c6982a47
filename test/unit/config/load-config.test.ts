import { expect } from 'chai';
import { ConfigError, loadConfig, variablesMarkdown, VARIABLES } from '../../../src/config';

describe('config: loadConfig', () => {
  it('resolves every default from an empty environment', () => {
    const config = loadConfig({});
    expect(config.amqpUrl).to.equal('amqp://guest:guest@127.0.0.1:5672');
    expect(config.databaseUrl).to.equal('postgres://postgres@127.0.0.1:5432/waggle');
    expect(config.managementUrl).to.equal('http://guest:guest@127.0.0.1:15672');
    expect(config.httpPort).to.equal(8080);
    expect(config.shutdownTimeoutMs).to.equal(10_000);
    expect(config.logPretty).to.equal(false);
    expect(config.adminToken).to.equal(undefined);
  });

  it('coerces numbers, booleans and durations', () => {
    const config = loadConfig({
      WAGGLE_HTTP_PORT: '9090',
      WAGGLE_LOG_PRETTY: '1',
      WAGGLE_SHUTDOWN_TIMEOUT: '2m',
    });
    expect(config.httpPort).to.equal(9090);
    expect(config.logPretty).to.equal(true);
    expect(config.shutdownTimeoutMs).to.equal(120_000);
  });

  it('names the variable, the value and what is allowed in one line per problem', () => {
    const err = captureConfigError({
      WAGGLE_HTTP_PORT: 'abc',
      WAGGLE_LOG_LEVEL: 'loud',
      WAGGLE_AMQP_URL: 'rabbit',
    });
    expect(err.problems).to.deep.equal([
      'WAGGLE_AMQP_URL: "rabbit" is not an amqp:// or amqps:// URL',
      'WAGGLE_HTTP_PORT: "abc" is not an integer from 0 to 65535 (0 picks a free port)',
      'WAGGLE_LOG_LEVEL: "loud" is not one of fatal, error, warn, info, debug, trace, silent',
    ]);
    expect(err.code).to.equal('WAGGLE_CONFIG_INVALID');
  });

  it('rejects a port out of range and a short admin token', () => {
    const err = captureConfigError({ WAGGLE_HTTP_PORT: '70000', WAGGLE_ADMIN_TOKEN: 'short' });
    expect(err.problems).to.have.length(2);
    expect(err.problems[0]).to.match(/^WAGGLE_HTTP_PORT: "70000"/);
    expect(err.problems[1]).to.equal('WAGGLE_ADMIN_TOKEN: must be at least 16 characters (got 5)');
  });

  it('documents every variable in the Markdown table', () => {
    const table = variablesMarkdown();
    for (const v of VARIABLES) expect(table).to.include(`\`${v.env}\``);
  });
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
