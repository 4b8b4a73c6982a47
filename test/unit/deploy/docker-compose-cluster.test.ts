import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { REPO_ROOT } from '../../support';

interface ClusterService {
  image?: string;
  hostname?: string;
  ports?: string[];
  volumes?: string[];
  environment?: Record<string, string>;
  healthcheck?: { test: string[] };
}

describe('deploy: docker-compose.cluster.yml', () => {
  const compose = parse(readFileSync(path.join(REPO_ROOT, 'docker-compose.cluster.yml'), 'utf8'), {
    merge: true,
  }) as { services: Record<string, ClusterService> };
  const nodes = ['rabbit1', 'rabbit2', 'rabbit3'];

  it('runs three RabbitMQ management nodes on the ports scripts/cluster.sh uses, one cookie for all', () => {
    expect(Object.keys(compose.services)).to.deep.equal(nodes);
    const cookies = new Set<string>();
    nodes.forEach((name, i) => {
      const node = compose.services[name] as ClusterService;
      expect(node.image).to.match(/^rabbitmq:3\.\d+-management$/);
      expect(node.environment?.RABBITMQ_NODENAME).to.equal(`rabbit@${name}`);
      expect(node.ports).to.deep.equal([`${5681 + i}:5672`, `${15681 + i}:15672`]);
      expect(node.healthcheck?.test).to.be.an('array').with.length.above(0);
      cookies.add(node.environment?.RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS ?? '');
      expect(node.environment?.RABBITMQ_CTL_ERL_ARGS).to.equal(
        node.environment?.RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS,
      );
    });
    expect([...cookies]).to.have.length(1);
    expect([...cookies][0]).to.match(/^-setcookie \S+$/);
    const script = readFileSync(path.join(REPO_ROOT, 'scripts', 'cluster.sh'), 'utf8');
    expect(script).to.include('BASE="${WAGGLE_CLUSTER_BASE_PORT:-5680}"');
  });

  it('forms the cluster by classic config peer discovery over the three nodes, plugins enabled', () => {
    for (const name of nodes) {
      const volumes = (compose.services[name] as ClusterService).volumes ?? [];
      const conf = volumes.find((v) => v.includes(':/etc/rabbitmq/conf.d/'));
      const plugins = volumes.find((v) => v.includes(':/etc/rabbitmq/enabled_plugins'));
      expect(conf, `${name} cluster config`).to.be.a('string');
      expect(plugins, `${name} enabled_plugins`).to.be.a('string');
      const text = readFileSync(path.join(REPO_ROOT, (conf as string).split(':')[0] as string), 'utf8');
      expect(text).to.include('cluster_formation.peer_discovery_backend = classic_config');
      for (const other of nodes) expect(text).to.include(`= rabbit@${other}`);
      const enabled = readFileSync(path.join(REPO_ROOT, (plugins as string).split(':')[0] as string), 'utf8');
      expect(enabled).to.include('rabbitmq_consistent_hash_exchange').and.to.include('rabbitmq_management');
    }
  });
});
