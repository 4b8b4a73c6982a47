import type { Arguments } from './model';
import type { PlannedObject, TopologyPlan } from './plan-model';
import { describeObject } from './plan-model';
import { OWNER_ARGUMENT } from './naming';

/** The plan as lines for a terminal (`waggle topology apply --dry-run`): one object per line, in order. */
export function describePlan(plan: TopologyPlan): string[] {
  const lines = plan.objects.map((o) => `${describeObject(o)}${detailOf(o)}`);
  for (const s of plan.subscriptions)
    lines.push(
      `subscriptions ${s.source} ${s.destinationType === 'exchange' ? '⇒ exchange ' : '→ '}${s.destination} ` +
        `[<tenant>.*.<pattern> of each ${s.subscriptions} endpoint; bound by the platform, not by apply]`,
    );
  lines.push(
    `${plan.exchanges.length} exchanges, ${plan.queues.length} queues, ${plan.bindings.length} bindings, ` +
      `${plan.users.length} users`,
  );
  return lines;
}

function detailOf(o: PlannedObject): string {
  switch (o.kind) {
    case 'exchange':
      return ` (${[o.type, o.internal ? 'internal' : '', showArguments(o.arguments)].filter(Boolean).join(', ')})`;
    case 'queue':
      return ` (${showArguments(o.arguments)})`;
    case 'binding':
      return '';
    case 'user':
      return ` (tags ${o.tags.join(',')}, password from $${o.passwordEnv})`;
    case 'permission':
      return ` configure=${quote(o.configure)} write=${quote(o.write)} read=${quote(o.read)}`;
    case 'topic-permission':
      return ` write=${quote(o.write)} read=${quote(o.read)}`;
  }
}

// the ownership marker is on every object; listing it each time would only hide what differs
function showArguments(args: Arguments): string {
  return Object.entries(args)
    .filter(([k]) => k !== OWNER_ARGUMENT)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? quote(v) : String(v)}`)
    .join(', ');
}

function quote(s: string): string {
  return `'${s}'`;
}
