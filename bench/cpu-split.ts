/**
 * CPU use per part of the machine while another benchmark runs: every 2 s, the cores used by each group of
 * processes (the ingress servers, the benchmark process itself, PostgreSQL, RabbitMQ, the rest), read from
 * /proc (Linux). It shows where the cost of a request goes when everything shares the same cores.
 *
 *   node --import tsx bench/cpu-split.ts [--samples 20] & node --import tsx bench/ingress.ts --rounds 1
 */
import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100;

function groupOf(name: string, cmdline: string): string {
  const server = /ingress-server\.ts (\w+)/.exec(cmdline);
  if (server) return `server-${server[1]}`;
  if (cmdline.includes('bench/')) return 'bench (load generator)';
  if (name.startsWith('postgres') || cmdline.includes('postgres')) return 'postgres';
  if (name.includes('beam') || name.includes('erl')) return 'rabbitmq';
  return 'other';
}

function snapshot(): Map<string, number> {
  const ticks = new Map<string, number>();
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const used = Number(fields[11]) + Number(fields[12]); // utime + stime
      const group = groupOf(name, cmdline);
      ticks.set(group, (ticks.get(group) ?? 0) + used);
    } catch {
      // The process ended between listing and reading.
    }
  }
  return ticks;
}

async function main(): Promise<void> {
  const at = process.argv.indexOf('--samples');
  const samples = at >= 0 ? Number(process.argv[at + 1]) : 20;
  let previous = snapshot();
  for (let i = 0; i < samples; i++) {
    await new Promise((r) => setTimeout(r, 2_000));
    const now = snapshot();
    const cores = [...now.entries()]
      .map(([group, t]) => [group, (t - (previous.get(group) ?? 0)) / 2 / TICKS_PER_SECOND] as const)
      .filter(([, c]) => c >= 0.02)
      .sort(([a], [b]) => a.localeCompare(b));
    console.log(cores.map(([g, c]) => `${g}=${c.toFixed(2)}`).join('  '));
    previous = now;
  }
}

void main();
