import { prepared, ReadBatcher, rowsOf, type Queryable } from '../db';
import { acceptsEventType } from './event-filter';
import { ENDPOINT_COLUMNS, UUID_RE, type WebhookEndpoint } from './endpoint-store';
import { SuccessMarks } from './success-marks';
import { patternsOf } from './subscription-keys';

const BY_TENANTS = prepared(
  'waggle-endpoints-of-tenants',
  `SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoint WHERE tenant = ANY($1::text[]) AND enabled ORDER BY id`,
);
const BY_IDS = prepared(
  'waggle-endpoints-by-id',
  `SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoint WHERE id = ANY($1::uuid[])`,
);

/**
 * The webhook endpoints deliveries are started for and made to, looked up through batchers of this process:
 * the events dispatched at about the same time read their tenants' endpoints in one statement, and the
 * deliveries attempted at about the same time their endpoints in one more. Each answer is what the table
 * holds when asked (`find` answers as `findEndpoint` does).
 */
export class EndpointLookup {
  private readonly byTenant: ReadBatcher<string, WebhookEndpoint[]>;
  private readonly byId: ReadBatcher<string, WebhookEndpoint>;
  /** The success marks the deliveries of this process wrote lately. */
  readonly marks = new SuccessMarks();

  constructor(db: Queryable) {
    this.byTenant = new ReadBatcher<string, WebhookEndpoint[]>({
      keyOf: (tenant) => tenant,
      async readMany(tenants) {
        const rows = await rowsOf<WebhookEndpoint>(db, BY_TENANTS, [tenants]);
        const found = new Map<string, WebhookEndpoint[]>();
        for (const row of rows) found.set(row.tenant, [...(found.get(row.tenant) ?? []), row]);
        return found;
      },
    });
    this.byId = new ReadBatcher<string, WebhookEndpoint>({
      keyOf: (id) => id.toLowerCase(),
      async readMany(ids) {
        const rows = await rowsOf<WebhookEndpoint>(db, BY_IDS, [ids]);
        return new Map(rows.map((row) => [row.id.toLowerCase(), row]));
      },
    });
  }

  /**
   * The enabled endpoints of `tenant` whose filter accepts `type` (an endpoint without a filter: the
   * families of UNFILTERED_EVENT_TYPES).
   */
  async forEvent(tenant: string, type: string): Promise<WebhookEndpoint[]> {
    if (tenant.includes('\u0000')) return [];
    const endpoints = (await this.byTenant.load(tenant)) ?? [];
    return endpoints.filter((e) => acceptsEventType(patternsOf(e.eventTypes), type));
  }

  /** One endpoint, or undefined. */
  find(id: string): Promise<WebhookEndpoint | undefined> {
    if (!UUID_RE.test(id)) return Promise.resolve(undefined);
    return this.byId.load(id);
  }
}
