import { expect } from 'chai';
import {
  ConfigError,
  loadConfig,
  nodeUrls,
  variablesMarkdown,
  VARIABLES,
  type WaggleConfig,
} from '../../../src/config';
import { amqpUrlForVhost, vhostOfAmqpUrl } from '../../../src/topology';

// Every field of WaggleConfig, spelled out so the compiler fails here when a field is added or removed.
const FIELDS: Record<keyof WaggleConfig, true> = {
  amqpUrl: true,
  managementUrl: true,
  databaseUrl: true,
  httpHost: true,
  httpPort: true,
  adminToken: true,
  logLevel: true,
  logPretty: true,
  shutdownTimeoutMs: true,
  dbPool: true,
  startTimeoutMs: true,
  topologyFile: true,
  publishBuffer: true,
  prefetch: true,
  ingressBodyLimit: true,
  ingressBatchLimit: true,
  rateLimit: true,
  rateBurst: true,
  dedupWindowMs: true,
  retentionMs: true,
  keyCacheTtlMs: true,
  admissionBatch: true,
  admissionQueueLimit: true,
  admissionConcurrency: true,
  republishAfterMs: true,
  schemasDir: true,
  autoscaleIntervalMs: true,
  autoscaleStabilizationMs: true,
  autoscaleTargetDrainMs: true,
  consumers: true,
  sseHeartbeatMs: true,
  streamRetentionMs: true,
  agentUrl: true,
  agentSecret: true,
  agentTimeoutMs: true,
  outboundTimeoutMs: true,
  whatsappApiUrl: true,
  slackApiUrl: true,
  telegramApiUrl: true,
  leaseTtlMs: true,
  sequenceGapTimeoutMs: true,
  publicUrl: true,
  webhookRetryScheduleMs: true,
  webhookTimeoutMs: true,
  webhookDisableAfterMs: true,
  demoTools: true,
  otlpEndpoint: true,
  otlpTracesEndpoint: true,
  tracesSampler: true,
  tracesSamplerArg: true,
  traceExportDelayMs: true,
};

describe('config: loadConfig', () => {
  it('sets every field of WaggleConfig from exactly one variable', () => {
    const keys = VARIABLES.map((v) => v.key);
    expect([...keys].sort()).to.deep.equal(Object.keys(FIELDS).sort());
    expect(new Set(keys).size).to.equal(keys.length);
    const config = loadConfig({
      WAGGLE_ADMIN_TOKEN: 'x'.repeat(16),
      WAGGLE_AGENT_URL: 'http://a/',
      WAGGLE_AGENT_SECRET: `whsec_${Buffer.alloc(32, 1).toString('base64')}`,
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces',
    });
    for (const key of Object.keys(FIELDS)) expect(config, key).to.have.property(key).not.equal(undefined);
  });

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
      'WAGGLE_AMQP_URL: "rabbit" is not an amqp:// or amqps:// URL, or a comma-separated list of them (one per cluster node)',
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

  it('takes a comma-separated list of cluster nodes for the broker and its management API', () => {
    const config = loadConfig({
      WAGGLE_AMQP_URL: 'amqp://u:p@10.0.0.1:5672/app, amqp://u:p@10.0.0.2:5672/app',
      WAGGLE_MANAGEMENT_URL: 'http://u:p@10.0.0.1:15672,http://u:p@10.0.0.2:15672',
    });
    expect(nodeUrls(config.amqpUrl)).to.deep.equal([
      'amqp://u:p@10.0.0.1:5672/app',
      'amqp://u:p@10.0.0.2:5672/app',
    ]);
    expect(nodeUrls(config.managementUrl)).to.have.length(2);
    expect(vhostOfAmqpUrl(config.amqpUrl)).to.equal('app');
    expect(amqpUrlForVhost(config.amqpUrl, 'other')).to.equal(
      'amqp://u:p@10.0.0.1:5672/other,amqp://u:p@10.0.0.2:5672/other',
    );
  });

  it('refuses a node list whose nodes name different vhosts, or a list with a bad entry', () => {
    expect(
      captureConfigError({ WAGGLE_AMQP_URL: 'amqp://h1:5672/a,amqp://h2:5672/b' }).problems,
    ).to.deep.equal(['WAGGLE_AMQP_URL: the nodes of a cluster must all name the same vhost (got /a and /b)']);
    expect(captureConfigError({ WAGGLE_MANAGEMENT_URL: 'http://h1:15672,h2:15672' }).problems[0]).to.match(
      /^WAGGLE_MANAGEMENT_URL: "http:\/\/h1:15672,h2:15672" is not an http/,
    );
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
