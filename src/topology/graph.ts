import { formatDuration } from '../config';
import type { Topology } from './model';
import { parkedQueueName } from './naming';
import { planTopology } from './plan';
import type { PlannedQueue } from './plan-model';

/**
 * The topology as a Mermaid flowchart: producers → exchanges → bindings → queues → consumers. Partition
 * queues fold into one node per group and delay tiers into one node per queue, so the picture stays
 * readable at any partition count.
 */
export function topologyGraph(t: Topology): string {
  const plan = planTopology(t);
  const lines: string[] = ['flowchart LR'];
  const partitionOf = new Map<string, string>();
  for (const g of t.partitionGroups) for (const q of g.queues) partitionOf.set(q, g.name);

  for (const ex of plan.exchanges) {
    const spec = t.exchanges.find((e) => e.name === ex.name);
    const detail =
      ex.type === 'x-consistent-hash' && spec?.hashHeader ? `${ex.type} on ${spec.hashHeader}` : ex.type;
    lines.push(
      `  ${id('x', ex.name)}{{"${text(ex.name)}<br/>${text(ex.internal ? `${detail}, internal` : detail)}"}}`,
    );
  }

  const tiers = new Map<string, PlannedQueue[]>();
  for (const q of plan.queues) {
    if (q.role === 'retry-tier') {
      const source = String(q.arguments['x-dead-letter-routing-key']);
      tiers.set(source, [...(tiers.get(source) ?? []), q]);
    } else if (q.role !== 'partition') {
      lines.push(`  ${id('q', q.name)}[("${text(q.name)}")]`);
    }
  }
  for (const g of t.partitionGroups) {
    const range = g.count > 1 ? `${g.name}.p0 … ${g.name}.p${g.count - 1}` : `${g.name}.p0`;
    const sac = g.singleActiveConsumer ? ' · single active consumer' : '';
    lines.push(`  ${id('g', g.name)}[["${text(range)}<br/>${g.count} partitions${sac}"]]`);
  }
  for (const [source, list] of tiers) {
    const delays = list.map((q) => formatDuration(Number(q.arguments['x-message-ttl']))).join(' · ');
    lines.push(`  ${id('r', source)}[("${text(`${source}.retry.*`)}<br/>${text(delays)}")]`);
  }

  // one edge per source and destination, listing its keys
  const edges = new Map<string, { from: string; to: string; keys: string[] }>();
  for (const b of plan.bindings) {
    const group = b.destinationType === 'queue' ? partitionOf.get(b.destination) : undefined;
    const to = group
      ? id('g', group)
      : b.destinationType === 'queue'
        ? id('q', b.destination)
        : id('x', b.destination);
    const from = id('x', b.source);
    const edge = edges.get(`${from}>${to}`) ?? { from, to, keys: [] };
    const spec = t.exchanges.find((e) => e.name === b.source);
    const key = group
      ? `hash(${spec?.hashHeader ?? 'routing key'})`
      : b.routingKey === ''
        ? '(all)'
        : b.routingKey;
    if (!edge.keys.includes(key)) edge.keys.push(key);
    edges.set(`${from}>${to}`, edge);
  }
  for (const s of plan.subscriptions) {
    const from = id('x', s.source);
    const to = s.destinationType === 'queue' ? id('q', s.destination) : id('x', s.destination);
    const edge = edges.get(`${from}>${to}`) ?? { from, to, keys: [] };
    edge.keys.push(`<tenant>.*.<${s.subscriptions} subscription>`);
    edges.set(`${from}>${to}`, edge);
  }
  for (const e of edges.values())
    lines.push(`  ${e.from} -- "${e.keys.map(text).join('<br/>')}" --> ${e.to}`);

  for (const ex of plan.exchanges) {
    const ae = ex.arguments['alternate-exchange'];
    if (typeof ae === 'string') lines.push(`  ${id('x', ex.name)} -. "unrouted" .-> ${id('x', ae)}`);
  }

  for (const q of plan.queues) {
    if (q.role !== 'queue' && q.role !== 'dedicated') continue;
    const spec = t.queues.find((s) => s.name === q.owner);
    if (tiers.has(q.name)) {
      lines.push(`  ${id('q', q.name)} -. "retry" .-> ${id('r', q.name)}`);
      lines.push(`  ${id('r', q.name)} -. "delay over" .-> ${id('q', q.name)}`);
    }
    if (spec?.parked) {
      const label = spec.retry ? `after ${spec.retry.attempts} attempts` : 'rejected';
      lines.push(`  ${id('q', q.name)} -. "${label}" .-> ${id('q', parkedQueueName(q.name))}`);
    }
  }
  for (const g of t.partitionGroups) {
    if (!g.parked) continue;
    const label = g.retry ? `after ${g.retry.attempts} attempts in place` : 'rejected';
    lines.push(`  ${id('g', g.name)} -. "${label}" .-> ${id('q', g.parkedQueue)}`);
  }

  for (const c of t.consumers) {
    const source = c.partitions ? id('g', c.partitions) : id('q', c.queue ?? '');
    const how = [
      c.ordering === 'session' ? 'ordered per session' : 'unordered',
      c.onBusy === 'supersede' ? 'supersede' : '',
    ]
      .filter(Boolean)
      .join(', ');
    lines.push(`  ${id('c', c.name)}(["${text(c.name)}<br/>${text(c.handler)}<br/>${text(how)}"])`);
    lines.push(`  ${source} --> ${id('c', c.name)}`);
  }

  for (const p of t.producers) {
    lines.push(
      `  ${id('p', p.name)}>"${text(p.name)}<br/>${text(`${p.tenants.join(', ')} · ${p.channels.join(', ')}`)}"]`,
    );
    const keys = `${alternatives(p.tenants)}.${alternatives(p.channels)}.#`;
    lines.push(`  ${id('p', p.name)} -- "${text(keys)}" --> ${id('x', p.exchange)}`);
  }
  return `${lines.join('\n')}\n`;
}

function alternatives(words: string[]): string {
  return words.length === 1 ? (words[0] as string) : `(${words.join('|')})`;
}

// Mermaid ids are plain words; labels may not contain quotes, and '#' starts an entity code.
function id(prefix: string, name: string): string {
  return `${prefix}_${name.replace(/[^A-Za-z0-9]/g, '_')}`;
}

function text(s: string): string {
  return s.replace(/#/g, '#35;').replace(/"/g, '#quot;').replace(/</g, '#lt;').replace(/>/g, '#gt;');
}
