import { existsSync, readFileSync, writeFileSync } from 'node:fs';

const HEADER = `# Benchmarks

Figures measured on one machine with its local RabbitMQ and PostgreSQL. Absolute numbers drift between
runs on a shared machine; compare the ratios, each measured against its baseline in the same invocation.
Each section says how to reproduce it.
`;

/**
 * Writes one bench's section of BENCHMARKS.md: `lines` between the markers `<!-- name:start -->` and
 * `<!-- name:end -->`, replacing what stood there and keeping every other section and the prose between
 * sections. A file or section that does not exist yet is created: the section goes at the end, or with
 * `first` right after the header paragraph.
 */
export function writeSection(file: string, name: string, lines: string[], first = false): void {
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  const section = [start, ...lines, end].join('\n');
  const current = existsSync(file) ? readFileSync(file, 'utf8') : HEADER;
  const at = current.indexOf(start);
  const stop = current.indexOf(end, at);
  if (at >= 0 && stop >= 0) {
    writeFileSync(file, `${current.slice(0, at)}${section}${current.slice(stop + end.length)}`);
    return;
  }
  const firstMarker = current.indexOf('<!-- ');
  writeFileSync(
    file,
    first && firstMarker >= 0
      ? `${current.slice(0, firstMarker)}${section}\n\n${current.slice(firstMarker)}`
      : `${current.trimEnd()}\n\n${section}\n`,
  );
}
