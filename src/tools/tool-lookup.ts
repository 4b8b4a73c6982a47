import { prepared, ReadBatcher, rowsOf, type Queryable } from '../db';
import { TOOL_COLUMNS, type Tool } from './tool-registry';

interface ToolKey {
  tenant: string;
  name: string;
}

const keyOf = (k: ToolKey): string => `${k.tenant}\u0000${k.name}`;

const FIND_TOOLS = prepared(
  'waggle-tool-lookup',
  `SELECT DISTINCT ON (k.i) k.want_tenant AS "wantTenant", k.want_name AS "wantName", ${TOOL_COLUMNS}
     FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS k(want_tenant, want_name, i)
     JOIN tool ON tool.name = k.want_name AND tool.tenant IN (k.want_tenant, '*')
    ORDER BY k.i, (tool.tenant = '*')`,
);

/**
 * The tool registrations tool-call sagas validate against, looked up through one batcher per process: the
 * calls validated at about the same time are read in one statement. Each answer is the tool as the tenant
 * sees it when asked: the tenant's own registration, else the one for every tenant.
 */
export class ToolLookup {
  private readonly batcher: ReadBatcher<ToolKey, Tool>;

  constructor(db: Queryable) {
    this.batcher = new ReadBatcher<ToolKey, Tool>({
      keyOf,
      async readMany(keys) {
        const rows = await rowsOf<Tool & { wantTenant: string; wantName: string }>(db, FIND_TOOLS, [
          keys.map((k) => k.tenant),
          keys.map((k) => k.name),
        ]);
        return new Map(
          rows.map(({ wantTenant, wantName, ...tool }) => [
            keyOf({ tenant: wantTenant, name: wantName }),
            tool,
          ]),
        );
      },
    });
  }

  /** The tool `name` as `tenant` sees it, or undefined. */
  find(tenant: string, name: string): Promise<Tool | undefined> {
    // Text with a NUL character is never stored, and Postgres refuses it as a parameter.
    if (tenant.includes('\u0000') || name.includes('\u0000')) return Promise.resolve(undefined);
    return this.batcher.load({ tenant, name });
  }
}
