import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat's utime and stime (USER_HZ, 100 on Linux). */
export const TICKS_PER_SECOND = 100;

/** Names the group a process counts in from its name and command line, or undefined to leave it out. */
export type ProcessGroups = (name: string, cmdline: string, pid: number) => string | undefined;

/** CPU used so far by each process counted, by pid: its group and its user + system clock ticks. */
export type CpuSnapshot = Map<number, { group: string; ticks: number }>;

/**
 * CPU used so far (user + system, in clock ticks) by every process on the machine that `groupOf` names a
 * group for, read from /proc. Empty where there is no /proc (not Linux). See `cpuBetween`.
 */
export function cpuSnapshot(groupOf: ProcessGroups): CpuSnapshot {
  const snapshot: CpuSnapshot = new Map();
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return snapshot;
  }
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const group = groupOf(name, cmdline, Number(pid));
      if (group === undefined) continue;
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      snapshot.set(Number(pid), { group, ticks: Number(fields[11]) + Number(fields[12]) }); // utime + stime
    } catch {
      // The process ended between listing and reading.
    }
  }
  return snapshot;
}

/**
 * Clock ticks each group used between two snapshots, process by process: a process started meanwhile counts
 * from zero; one that ended meanwhile (a Postgres backend or autovacuum worker) is left out, so a group's
 * figure is never less than what its remaining processes used.
 */
export function cpuBetween(before: CpuSnapshot, after: CpuSnapshot): Map<string, number> {
  const used = new Map<string, number>();
  for (const [pid, { group, ticks }] of after) {
    const was = before.get(pid);
    const delta = was && was.group === group ? ticks - was.ticks : ticks;
    if (delta > 0) used.set(group, (used.get(group) ?? 0) + delta);
  }
  return used;
}

/** Microseconds of CPU per unit of work, by group, between two snapshots. */
export function cpuPerUnit(before: CpuSnapshot, after: CpuSnapshot, units: number): Map<string, number> {
  const per = new Map<string, number>();
  for (const [group, ticks] of cpuBetween(before, after)) {
    per.set(group, ((ticks / TICKS_PER_SECOND) * 1e6) / units);
  }
  return per;
}

/** Whether the process is one of PostgreSQL's. */
export function isPostgres(name: string, cmdline: string): boolean {
  return name.startsWith('postgres') || cmdline.includes('postgres');
}

/** Whether the process is RabbitMQ's Erlang VM. */
export function isRabbitMq(name: string): boolean {
  return name.includes('beam') || name.includes('erl');
}
