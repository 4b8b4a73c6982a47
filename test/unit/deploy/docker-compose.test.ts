import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { REPO_ROOT } from '../../support';

interface ComposeService {
  image?: string;
  build?: unknown;
  ports?: string[];
  volumes?: string[];
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
  environment?: Record<string, string>;
}

describe('deploy: docker-compose.yml', () => {
  const compose = parse(readFileSync(path.join(REPO_ROOT, 'docker-compose.yml'), 'utf8')) as {
    services: Record<string, ComposeService>;
  };

  it('declares rabbitmq, postgres and waggle, each with a health check', () => {
    expect(Object.keys(compose.services)).to.include.members(['rabbitmq', 'postgres', 'waggle']);
    for (const [name, service] of Object.entries(compose.services)) {
      expect(service.healthcheck?.test, `${name} health check`).to.be.an('array').with.length.above(0);
    }
  });

  it('runs a management image of RabbitMQ with the UI on 15672 and AMQP on 5672', () => {
    const rabbit = compose.services.rabbitmq as ComposeService;
    expect(rabbit.image).to.match(/^rabbitmq:3\.\d+-management$/);
    expect(rabbit.ports).to.include.members(['5672:5672', '15672:15672']);
  });

  it('enables the consistent-hash and management plugins through an enabled_plugins file', () => {
    const rabbit = compose.services.rabbitmq as ComposeService;
    const mount = (rabbit.volumes ?? []).find((v) => v.includes(':/etc/rabbitmq/enabled_plugins'));
    expect(mount, 'enabled_plugins mount').to.be.a('string');
    const file = path.join(REPO_ROOT, (mount as string).split(':')[0] as string);
    const plugins = readFileSync(file, 'utf8');
    expect(plugins).to.match(/^\[.*\]\.\s*$/s);
    expect(plugins).to.include('rabbitmq_consistent_hash_exchange').and.to.include('rabbitmq_management');
  });

  it('builds waggle from the repo and starts it once both services are healthy', () => {
    const waggle = compose.services.waggle as ComposeService;
    expect(waggle.build).to.equal('.');
    expect(waggle.depends_on).to.deep.equal({
      rabbitmq: { condition: 'service_healthy' },
      postgres: { condition: 'service_healthy' },
    });
    expect(waggle.environment?.WAGGLE_AMQP_URL).to.equal('amqp://guest:guest@rabbitmq:5672');
    expect(waggle.ports).to.include('8080:8080');
    expect(readFileSync(path.join(REPO_ROOT, 'Dockerfile'), 'utf8')).to.match(
      /CMD \["node", "bin\/waggle.js", "start"\]/,
    );
  });
});
