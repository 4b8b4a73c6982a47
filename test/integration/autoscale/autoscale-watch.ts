import type { AutoscaleReport, GroupReport } from '../../../src/autoscale';
import { eventually } from '../../support';

/** Reads `/v1/autoscale` of the waggle at `base` until `done` holds for the report; returns that report. */
export function reportUntil(
  base: string,
  done: (r: AutoscaleReport) => boolean,
  timeoutMs = 60_000,
): Promise<AutoscaleReport> {
  return eventually(
    async () => (await (await fetch(`${base}/v1/autoscale`)).json()) as AutoscaleReport,
    'a matching autoscale report',
    { timeoutMs, everyMs: 250, done },
  );
}

/** Reads `/v1/autoscale/<group>` until it answers 200 with a report `done` holds for; returns that report. */
export async function groupUntil(
  base: string,
  group: string,
  done: (g: GroupReport) => boolean,
  timeoutMs = 30_000,
): Promise<GroupReport> {
  const answer = await eventually(
    async () => {
      const res = await fetch(`${base}/v1/autoscale/${group}`);
      return { status: res.status, body: (await res.json()) as unknown };
    },
    `a matching report for ${group}`,
    { timeoutMs, everyMs: 250, done: (a) => a.status === 200 && done(a.body as GroupReport) },
  );
  return answer.body as GroupReport;
}

/** True while a process with this pid exists. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
