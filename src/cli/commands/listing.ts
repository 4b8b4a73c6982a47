import type { Command } from 'commander';
import type { DataSource } from 'typeorm';
import { withAdmissionDb } from './admission-db';

/** How a `list` command shows what it found. */
export interface Listing<T> {
  /** Column headers, in order. */
  headers: string[];
  /** The width each column but the last is padded to. */
  widths: number[];
  /** A row's cells, one per header. */
  cells: (row: T) => string[];
  /** The line printed when there is nothing to list: what to run to make something. */
  empty: string;
  /** `--json`: print the rows as JSON instead of a table. @default false */
  json?: boolean;
  /** What JSON shows of a row. @default the row as it is */
  asJson?: (row: T) => unknown;
  /** Lines printed under a row, indented by the caller (e.g. why it is disabled). @default none */
  notes?: (row: T) => string[];
}

/** Prints what a `list` command found: as JSON with `--json`, as the `empty` line when there is nothing, else as a table. */
export function printListing<T>(rows: T[], listing: Listing<T>): void {
  if (listing.json) {
    const asJson = listing.asJson;
    console.log(JSON.stringify(asJson ? rows.map((r) => asJson(r)) : rows, null, 2));
    return;
  }
  if (rows.length === 0) {
    console.log(listing.empty);
    return;
  }
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(listing.widths[i] ?? 0)).join(' ');
  console.log(line(listing.headers));
  for (const row of rows) {
    console.log(line(listing.cells(row)));
    for (const note of listing.notes?.(row) ?? []) console.log(note);
  }
}

export interface ListCommand<T> extends Omit<Listing<T>, 'json'> {
  description: string;
  /** Help of `--tenant <id>`, for a list that can be narrowed to one tenant. @default no such option */
  tenantOption?: string;
  /** What there is to list, of `tenant` when `--tenant` was given. */
  load: (db: DataSource, tenant: string | undefined) => Promise<T[]>;
}

/** Adds `list [--tenant <id>] [--json]` under `parent`: prints what `load` finds as a table or as JSON. */
export function addListCommand<T>(parent: Command, command: ListCommand<T>): void {
  const list = parent.command('list').description(command.description);
  if (command.tenantOption) list.option('--tenant <id>', command.tenantOption);
  list.option('--json', 'print JSON').action(async (opts: { tenant?: string; json?: boolean }) => {
    await withAdmissionDb(async (db) => {
      printListing(await command.load(db, opts.tenant), { ...command, json: opts.json });
    });
  });
}
