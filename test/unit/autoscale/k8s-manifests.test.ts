import { expect } from 'chai';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { scalingGroups, type ScalingGroup } from '../../../src/autoscale';
import { VARIABLES } from '../../../src/config';
import { ROLE_NAMES } from '../../../src/roles';
import { loadTopology } from '../../../src/topology';
import { REPO_ROOT } from '../../support';

// A structural check of deploy/k8s without kubectl: every document parses, names its apiVersion and kind, has
// the fields the API server and KEDA require, and the references between objects resolve.

type Obj = Record<string, unknown>;
interface Doc {
  file: string;
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: Obj;
  data?: Record<string, unknown>;
  stringData?: Record<string, unknown>;
  raw: Obj;
}

const K8S = path.join(REPO_ROOT, 'deploy/k8s');
const KNOWN_KINDS: Record<string, string[]> = {
  v1: ['Namespace', 'ConfigMap', 'Secret', 'Service'],
  'apps/v1': ['Deployment'],
  'keda.sh/v1alpha1': ['ScaledObject', 'TriggerAuthentication'],
  'kustomize.config.k8s.io/v1beta1': ['Kustomization'],
};
const DNS_1123 = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? yamlFiles(path.join(dir, e.name))
      : /\.ya?ml$/.test(e.name)
        ? [path.join(dir, e.name)]
        : [],
  );
}

function load(): Doc[] {
  const docs: Doc[] = [];
  for (const file of yamlFiles(K8S)) {
    const rel = path.relative(REPO_ROOT, file);
    for (const d of parseAllDocuments(readFileSync(file, 'utf8'))) {
      expect(
        d.errors.map((e) => e.message),
        `${rel}: YAML errors`,
      ).to.deep.equal([]);
      const raw = d.toJS() as Obj | null;
      if (raw === null) continue;
      docs.push({ ...(raw as Omit<Doc, 'file' | 'raw'>), file: rel, raw });
    }
  }
  return docs;
}

describe('deploy: Kubernetes and KEDA manifests', () => {
  const docs = load();
  let groups: ScalingGroup[] = [];
  before(async () => {
    groups = scalingGroups(await loadTopology(path.join(REPO_ROOT, 'topology/waggle.yaml')));
  });
  const byKind = (kind: string) => docs.filter((d) => d.kind === kind);
  const objects = docs.filter((d) => d.kind !== 'Kustomization');

  it('every document is a known apiVersion/kind with a valid name in the waggle namespace', () => {
    expect(docs.length).to.be.greaterThan(10);
    for (const d of docs) {
      const where = `${d.file} ${d.kind}`;
      expect(KNOWN_KINDS[d.apiVersion], `${where}: apiVersion ${d.apiVersion}`).to.be.an('array');
      expect(KNOWN_KINDS[d.apiVersion], where).to.include(d.kind);
      if (d.kind === 'Kustomization') continue;
      expect(d.metadata?.name, `${where}: metadata.name`).to.match(DNS_1123);
      if (d.kind !== 'Namespace') expect(d.metadata.namespace, `${where}: namespace`).to.equal('waggle');
    }
    const keys = objects.map((d) => `${d.kind}/${d.metadata.name}@${path.dirname(d.file)}`);
    expect(new Set(keys).size, 'duplicate objects in one directory').to.equal(keys.length);
  });

  it('has a Deployment per role, the workers role split per consumer group, each probing /v1/health', () => {
    const deployments = byKind('Deployment');
    const roles = new Set<string>();
    for (const d of deployments) {
      const spec = d.spec as {
        replicas: number;
        selector: { matchLabels: Record<string, string> };
        template: { metadata: { labels: Record<string, string> }; spec: Obj };
      };
      const where = `${d.file} ${d.metadata.name}`;
      expect(spec.replicas, `${where}: replicas`).to.be.a('number');
      expect(Object.keys(spec.selector.matchLabels), `${where}: selector`).to.have.length.above(0);
      for (const [k, v] of Object.entries(spec.selector.matchLabels)) {
        expect(spec.template.metadata.labels[k], `${where}: selector ${k} matches the pod labels`).to.equal(
          v,
        );
      }
      const pod = spec.template.spec as {
        terminationGracePeriodSeconds: number;
        containers: Array<{
          name: string;
          image: string;
          command: string[];
          args: string[];
          envFrom: Array<{ configMapRef?: { name: string }; secretRef?: { name: string } }>;
          env?: Array<{ name: string; value: string }>;
          ports: Array<{ name: string; containerPort: number }>;
          readinessProbe: { httpGet: { path: string; port: string } };
          livenessProbe: { httpGet: { path: string; port: string } };
        }>;
      };
      expect(pod.containers, where).to.have.length(1);
      const c = pod.containers[0] as (typeof pod.containers)[number];
      expect(c.name).to.match(DNS_1123);
      expect(c.image, `${where}: image`).to.match(/^[\w./-]+:[\w.-]+$/);
      expect(c.command).to.deep.equal(['node', 'bin/waggle.js']);
      expect(c.args.slice(0, 2)).to.deep.equal(['start', '--roles']);
      const role = c.args[2] as string;
      expect(ROLE_NAMES as readonly string[], `${where}: role`).to.include(role);
      roles.add(role);
      expect(d.metadata.labels?.['app.kubernetes.io/component']).to.equal(role);
      expect(c.readinessProbe.httpGet.path).to.equal('/v1/health');
      expect(c.livenessProbe.httpGet.path).to.equal('/v1/health?live');
      expect(c.ports.map((p) => p.name)).to.include(c.readinessProbe.httpGet.port);
      // SIGTERM drains within WAGGLE_SHUTDOWN_TIMEOUT; Kubernetes must wait at least that long.
      expect(pod.terminationGracePeriodSeconds).to.be.greaterThan(30);
      for (const ref of c.envFrom) {
        const target = ref.configMapRef
          ? byKind('ConfigMap').find((m) => m.metadata.name === ref.configMapRef?.name)
          : byKind('Secret').find((s) => s.metadata.name === ref.secretRef?.name);
        expect(target, `${where}: envFrom ${JSON.stringify(ref)}`).to.not.equal(undefined);
      }
      for (const e of c.env ?? []) expect(declaredVariables(), `${where}: env ${e.name}`).to.include(e.name);
      if (role === 'workers') {
        const consumer = d.metadata.labels?.['waggle.smartbeez.dev/consumer'];
        expect(consumer, `${where}: consumer label`).to.be.a('string');
        expect(d.metadata.name).to.equal(`waggle-workers-${(consumer as string).replace(/\./g, '-')}`);
        expect(c.env?.find((e) => e.name === 'WAGGLE_CONSUMERS')?.value).to.equal(consumer);
      }
    }
    expect([...roles].sort()).to.deep.equal([...ROLE_NAMES].sort());
  });

  it('every consumer of topology/waggle.yaml has its workers Deployment, and no other consumer does', () => {
    const consumers = byKind('Deployment')
      .filter((d) => d.metadata.labels?.['app.kubernetes.io/component'] === 'workers')
      .map((d) => d.metadata.labels?.['waggle.smartbeez.dev/consumer']);
    expect(consumers.sort()).to.deep.equal(groups.map((g) => g.name).sort());
  });

  it('config values are strings and name only declared WAGGLE_ variables', () => {
    const variables = new Set(declaredVariables());
    for (const d of [...byKind('ConfigMap'), ...byKind('Secret')]) {
      const values = d.data ?? d.stringData ?? {};
      for (const [k, v] of Object.entries(values)) {
        expect(v, `${d.file} ${d.metadata.name}.${k}`).to.be.a('string');
        if (k.startsWith('WAGGLE_')) expect(variables.has(k), `${k} is a declared variable`).to.equal(true);
      }
    }
  });

  it('Services select existing Deployments by their pod labels and expose the http port', () => {
    for (const s of byKind('Service')) {
      const spec = s.spec as {
        selector: Record<string, string>;
        ports: Array<{ port: number; targetPort: string }>;
      };
      const target = byKind('Deployment').find((d) => {
        const labels = (d.spec as { template: { metadata: { labels: Record<string, string> } } }).template
          .metadata.labels;
        return Object.entries(spec.selector).every(([k, v]) => labels[k] === v);
      });
      expect(target, `${s.metadata.name} selects a Deployment`).to.not.equal(undefined);
      expect(spec.ports[0]?.targetPort).to.equal('http');
    }
  });

  for (const overlay of ['keda-metrics-api', 'keda-rabbitmq']) {
    it(`${overlay}: one ScaledObject per workers Deployment, targets resolve, metadata values are strings`, () => {
      const dir = path.join('deploy/k8s', overlay);
      const scaled = byKind('ScaledObject').filter((d) => path.dirname(d.file) === dir);
      const workers = byKind('Deployment').filter(
        (d) => d.metadata.labels?.['app.kubernetes.io/component'] === 'workers',
      );
      expect(scaled.map((s) => scaleTarget(s)).sort()).to.deep.equal(
        workers.map((w) => w.metadata.name).sort(),
      );
      for (const s of scaled) {
        const spec = s.spec as {
          minReplicaCount: number;
          maxReplicaCount: number;
          pollingInterval: number;
          triggers: Array<{
            type: string;
            metadata: Record<string, unknown>;
            authenticationRef?: { name: string };
          }>;
        };
        const where = `${s.file} ${s.metadata.name}`;
        expect(spec.minReplicaCount, where).to.be.at.least(1);
        expect(spec.maxReplicaCount, where).to.be.at.least(spec.minReplicaCount);
        expect(spec.pollingInterval, where).to.be.a('number');
        expect(spec.triggers, where).to.have.length.above(0);
        for (const t of spec.triggers) {
          // KEDA's trigger metadata is map[string]string: an unquoted number is rejected by the CRD.
          for (const [k, v] of Object.entries(t.metadata))
            expect(v, `${where}: metadata.${k}`).to.be.a('string');
          if (t.type === 'metrics-api') checkMetricsApi(where, s, t.metadata as Record<string, string>);
          else if (t.type === 'rabbitmq')
            checkRabbitmq(where, t.metadata as Record<string, string>, t.authenticationRef);
          else expect.fail(`${where}: unexpected trigger type ${t.type}`);
        }
        const consumer = s.metadata.labels?.['waggle.smartbeez.dev/consumer'] as string;
        const group = groups.find((g) => g.name === consumer);
        expect(group, `${where}: ${consumer} is a consumer of topology/waggle.yaml`).to.not.equal(undefined);
        const ceiling = Math.min(group?.maxWorkers ?? 0, group?.partitions ?? Number.POSITIVE_INFINITY);
        expect(spec.maxReplicaCount, `${where}: the group's useful maximum`).to.equal(ceiling);
      }
    });
  }

  it('kustomizations list files that exist, and each overlay builds on the base', () => {
    for (const k of byKind('Kustomization')) {
      const dir = path.join(REPO_ROOT, path.dirname(k.file));
      const resources = (k.raw.resources ?? []) as string[];
      expect(resources, k.file).to.have.length.above(0);
      for (const r of resources) expect(existsSync(path.join(dir, r)), `${k.file}: ${r}`).to.equal(true);
      if (!k.file.includes('/base/')) expect(resources).to.include('../base');
    }
  });

  function scaleTarget(s: Doc): string {
    const ref = (s.spec as { scaleTargetRef: { name: string; kind?: string; apiVersion?: string } })
      .scaleTargetRef;
    expect(ref.kind ?? 'Deployment').to.equal('Deployment');
    expect(ref.apiVersion ?? 'apps/v1').to.equal('apps/v1');
    return ref.name;
  }

  function checkMetricsApi(where: string, s: Doc, m: Record<string, string>): void {
    expect(m, where).to.include.keys('url', 'valueLocation', 'targetValue');
    expect(m.format ?? 'json').to.equal('json');
    const url = new URL(m.url as string);
    const autoscaler = byKind('Service').find((svc) => svc.metadata.name === 'waggle-autoscaler') as Doc;
    expect(url.hostname, `${where}: url host is the autoscaler Service`).to.equal(
      `${autoscaler.metadata.name}.${autoscaler.metadata.namespace}.svc.cluster.local`,
    );
    expect(url.port).to.equal(String((autoscaler.spec as { ports: Array<{ port: number }> }).ports[0]?.port));
    expect(url.pathname).to.equal(`/v1/autoscale/${s.metadata.labels?.['waggle.smartbeez.dev/consumer']}`);
    // The per-group body is a GroupReport: desiredWorkers sits at its top level.
    expect(m.valueLocation).to.equal('desiredWorkers');
    expect(Number(m.targetValue), `${where}: targetValue`).to.equal(1);
  }

  function checkRabbitmq(where: string, m: Record<string, string>, auth: { name: string } | undefined): void {
    expect(m, where).to.include.keys('protocol', 'queueName', 'mode', 'value');
    expect(['amqp', 'http', 'auto']).to.include(m.protocol);
    expect(['QueueLength', 'MessageRate']).to.include(m.mode);
    expect(Number(m.value), `${where}: value`).to.be.greaterThan(0);
    if (m.useRegex === 'true') {
      expect(m.protocol, `${where}: useRegex needs protocol http`).to.equal('http');
      expect(['sum', 'max', 'avg']).to.include(m.operation ?? 'sum');
      expect(() => new RegExp(m.queueName as string)).to.not.throw();
    }
    if (m.mode === 'MessageRate') expect(m.protocol).to.equal('http');
    // Credentials come from a TriggerAuthentication whose `host` parameter reads an existing Secret key.
    expect(m.host, `${where}: no credentials inline`).to.equal(undefined);
    const ta = byKind('TriggerAuthentication').find((t) => t.metadata.name === auth?.name);
    expect(ta, `${where}: authenticationRef`).to.not.equal(undefined);
    const refs = (ta?.spec as { secretTargetRef: Array<{ parameter: string; name: string; key: string }> })
      .secretTargetRef;
    const host = refs.find((r) => r.parameter === 'host');
    expect(host, `${where}: TriggerAuthentication sets host`).to.not.equal(undefined);
    const secret = byKind('Secret').find((sec) => sec.metadata.name === host?.name);
    const value = (secret?.stringData ?? {})[host?.key as string] as string;
    expect(value, `${where}: secret ${host?.name}.${host?.key}`).to.be.a('string');
    expect(new URL(value).protocol).to.equal(`${m.protocol === 'amqp' ? 'amqp' : 'http'}:`);
  }
});

function declaredVariables(): string[] {
  return VARIABLES.map((v) => v.env);
}
