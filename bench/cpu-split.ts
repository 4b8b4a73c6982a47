/**
 * CPU use per part of the machine while another benchmark runs: every 2 s, the cores used by each group of
 * processes (the ingress servers, the benchmark process itself, PostgreSQL, RabbitMQ, the rest), read from
 * /proc (Linux). It shows where the cost of a request goes when everything shares the same cores.
 *
 *   node --import tsx bench/cpu-split.ts [--samples 20] & node --import tsx bench/ingress.ts --rounds 1
 */
import { cpuBetween, cpuSnapshot, isPostgres, isRabbitMq, TICKS_PER_SECOND } from './lib/process-cpu';

function groupOf(name: string, cmdline: string): string {
  const server = /ingress-server\.ts (\w+)/.exec(cmdline);
  if (server) return `server-${server[1]}`;
  if (cmdline.includes('bench/')) return 'bench (load generator)';
  if (isPostgres(name, cmdline)) return 'postgres';
  if (isRabbitMq(name)) return 'rabbitmq';
  return 'other';
}

const snapshot = () => cpuSnapshot(groupOf);

async function main(): Promise<void> {
  const at = process.argv.indexOf('--samples');
  const samples = at >= 0 ? Number(process.argv[at + 1]) : 20;
  let previous = snapshot();
  for (let i = 0; i < samples; i++) {
    await new Promise((r) => setTimeout(r, 2_000));
    const now = snapshot();
    const cores = [...cpuBetween(previous, now).entries()]
      .map(([group, ticks]) => [group, ticks / 2 / TICKS_PER_SECOND] as const)
      .filter(([, c]) => c >= 0.02)
      .sort(([a], [b]) => a.localeCompare(b));
    console.log(cores.map(([g, c]) => `${g}=${c.toFixed(2)}`).join('  '));
    previous = now;
  }
}

void main();
