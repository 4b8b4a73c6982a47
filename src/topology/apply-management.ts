import { logger, type Logger } from '../observability';
import { type LivePermission, type LiveTopicPermission, type LiveUser, tagsOf } from './live-state';
import { ManagementClient } from './management-client';
import type { PlannedPermission, PlannedTopicPermission, PlannedUser, TopologyPlan } from './plan-model';
import { passwordMatches, resolveProducerPassword } from './producer-password';

export interface ApplyManagementOptions {
  /** Where passwordEnv variables are read. @default process.env */
  env?: Record<string, string | undefined>;
  log?: Logger;
}

/** What one management apply did. */
export interface ManagementApplyReport {
  created: string[];
  updated: string[];
  unchanged: number;
  /** Producer users running on their development password. */
  warnings: string[];
}

/**
 * Declares the plan's users, vhost permissions and topic permissions through the management HTTP API.
 * Idempotent: a user is rewritten only when missing, its tags differ or its password no longer matches.
 */
export async function applyManagement(
  plan: TopologyPlan,
  managementUrl: string,
  vhost: string,
  options: ApplyManagementOptions = {},
): Promise<ManagementApplyReport> {
  const log = options.log ?? logger({ component: 'topology' });
  const client = new ManagementClient(managementUrl, vhost);
  const report: ManagementApplyReport = { created: [], updated: [], unchanged: 0, warnings: [] };
  for (const user of plan.users) await applyUser(client, user, options.env ?? process.env, report);
  for (const p of plan.permissions) await applyPermission(client, p, report);
  for (const p of plan.topicPermissions) await applyTopicPermission(client, p, report);
  for (const w of report.warnings) log.warn(w);
  return report;
}

async function applyUser(
  client: ManagementClient,
  user: PlannedUser,
  env: Record<string, string | undefined>,
  report: ManagementApplyReport,
): Promise<void> {
  const { password, source } = resolveProducerPassword(user, env);
  if (source === 'development')
    report.warnings.push(
      `producer ${user.name}: ${user.passwordEnv} is unset, so its password is the user name (development only)`,
    );
  const path = `/users/${encodeURIComponent(user.name)}`;
  const live = await client.find<LiveUser>(path);
  const sameTags = live !== undefined && sameSet(tagsOf(live), user.tags);
  if (live && sameTags && passwordMatches(live.password_hash, live.hashing_algorithm, password)) {
    report.unchanged += 1;
    return;
  }
  await client.put(path, { password, tags: user.tags.join(',') });
  (live ? report.updated : report.created).push(`user ${user.name}`);
}

async function applyPermission(
  client: ManagementClient,
  p: PlannedPermission,
  report: ManagementApplyReport,
): Promise<void> {
  const path = `/permissions/${client.vhostPath}/${encodeURIComponent(p.user)}`;
  const live = await client.find<LivePermission>(path);
  if (live && live.configure === p.configure && live.write === p.write && live.read === p.read) {
    report.unchanged += 1;
    return;
  }
  await client.put(path, { configure: p.configure, write: p.write, read: p.read });
  (live ? report.updated : report.created).push(`permission ${p.user}`);
}

async function applyTopicPermission(
  client: ManagementClient,
  p: PlannedTopicPermission,
  report: ManagementApplyReport,
): Promise<void> {
  const path = `/topic-permissions/${client.vhostPath}/${encodeURIComponent(p.user)}`;
  const live = ((await client.find<LiveTopicPermission[]>(path)) ?? []).find(
    (t) => t.exchange === p.exchange,
  );
  if (live && live.write === p.write && live.read === p.read) {
    report.unchanged += 1;
    return;
  }
  await client.put(path, { exchange: p.exchange, write: p.write, read: p.read });
  (live ? report.updated : report.created).push(`topic-permission ${p.user} on ${p.exchange}`);
}

function sameSet(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}
