import { randomUUID } from 'node:crypto';
import { firstRow, recordColumns, rowsOf, type Queryable } from '../db';
import { TENANT_ID_PATTERN } from '../envelope';
import { eventTypePatternProblem } from './event-filter';
import { generateSecret, secretKey } from './standard-webhooks';
import { WebhookEndpointInvalidError, WebhookEndpointNotFoundError } from './webhook-errors';

/** A tenant's webhook endpoint. */
export interface WebhookEndpoint {
  id: string;
  tenant: string;
  url: string;
  /** `whsec_…`; shown once at registration and to operators, never in listings for tenants. */
  secret: string;
  /** Event-type patterns (`message.*`, `tool.call.#`); empty: every message, tool-call and session event. */
  eventTypes: string[];
  description: string | null;
  enabled: boolean;
  disabledReason: string | null;
  disabledAt: Date | null;
  /** Since when deliveries have been failing (cleared by the next success). */
  failingSince: Date | null;
  lastSuccessAt: Date | null;
  createdAt: Date;
}

export interface NewEndpoint {
  tenant: string;
  url: string;
  eventTypes?: string[];
  /** @default a new random secret */
  secret?: string;
  description?: string;
}

export const ENDPOINT_COLUMNS = recordColumns<WebhookEndpoint>()([
  'id',
  'tenant',
  'url',
  'secret',
  'eventTypes',
  'description',
  'enabled',
  'disabledReason',
  'disabledAt',
  'failingSince',
  'lastSuccessAt',
  'createdAt',
]);

const TENANT_RE = new RegExp(TENANT_ID_PATTERN);
export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Every problem with a registration, one line each (empty when it is fine). */
export function endpointProblems(e: NewEndpoint): string[] {
  const problems: string[] = [];
  if (!TENANT_RE.test(e.tenant)) problems.push(`tenant: "${e.tenant}" is not a tenant id`);
  let url: URL | undefined;
  try {
    url = new URL(e.url);
  } catch {
    problems.push(`url: "${e.url}" is not a URL`);
  }
  if (url && url.protocol !== 'https:' && url.protocol !== 'http:') {
    problems.push(`url: "${e.url}" must be http:// or https://`);
  }
  for (const p of e.eventTypes ?? []) {
    const problem = eventTypePatternProblem(p);
    if (problem) problems.push(`eventTypes: ${problem}`);
  }
  if (e.secret !== undefined) {
    try {
      secretKey(e.secret);
    } catch (err) {
      problems.push(`secret: ${(err as Error).message}`);
    }
  }
  return problems;
}

/**
 * Writes an endpoint's row (validated; a secret is generated when none is given). The row alone does not
 * route events to it where the topology binds the webhook queue by subscriptions: register endpoints through
 * WebhookSubscriptions there.
 */
export async function createEndpoint(db: Queryable, e: NewEndpoint): Promise<WebhookEndpoint> {
  const problems = endpointProblems(e);
  if (problems.length > 0) throw new WebhookEndpointInvalidError(problems);
  const row = await firstRow<WebhookEndpoint>(
    db,
    `INSERT INTO webhook_endpoint (id, tenant, url, secret, event_types, description)
     VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${ENDPOINT_COLUMNS}`,
    [randomUUID(), e.tenant, e.url, e.secret ?? generateSecret(), e.eventTypes ?? [], e.description ?? null],
  );
  return row as WebhookEndpoint;
}

/** One endpoint (optionally only if it belongs to `tenant`), or undefined. */
export async function findEndpoint(
  db: Queryable,
  id: string,
  tenant?: string,
): Promise<WebhookEndpoint | undefined> {
  if (!UUID_RE.test(id)) return undefined;
  return firstRow<WebhookEndpoint>(
    db,
    `SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoint WHERE id = $1 ${tenant ? 'AND tenant = $2' : ''}`,
    tenant ? [id, tenant] : [id],
  );
}

/** One endpoint, or throws WebhookEndpointNotFoundError. */
export async function getEndpoint(db: Queryable, id: string, tenant?: string): Promise<WebhookEndpoint> {
  const found = await findEndpoint(db, id, tenant);
  if (!found) throw new WebhookEndpointNotFoundError(id);
  return found;
}

/** Endpoints, newest first, optionally of one tenant. */
export async function listEndpoints(db: Queryable, tenant?: string): Promise<WebhookEndpoint[]> {
  return rowsOf<WebhookEndpoint>(
    db,
    `SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoint ${tenant ? 'WHERE tenant = $1' : ''} ORDER BY created_at DESC, id`,
    tenant ? [tenant] : [],
  );
}

/**
 * Deletes an endpoint (optionally only if it belongs to `tenant`) and answers whose it was and what it
 * subscribed to, or throws WebhookEndpointNotFoundError.
 */
export async function deleteEndpoint(
  db: Queryable,
  id: string,
  tenant?: string,
): Promise<Pick<WebhookEndpoint, 'tenant' | 'eventTypes'>> {
  const rows = UUID_RE.test(id)
    ? await rowsOf<Pick<WebhookEndpoint, 'tenant' | 'eventTypes'>>(
        db,
        `DELETE FROM webhook_endpoint WHERE id = $1 ${tenant ? 'AND tenant = $2' : ''}
         RETURNING tenant, event_types AS "eventTypes"`,
        tenant ? [id, tenant] : [id],
      )
    : [];
  const gone = rows[0];
  if (!gone) throw new WebhookEndpointNotFoundError(id);
  return gone;
}

/** Turns an endpoint back on and forgets its failure streak. */
export async function enableEndpoint(db: Queryable, id: string, tenant?: string): Promise<WebhookEndpoint> {
  await getEndpoint(db, id, tenant);
  const row = await firstRow<WebhookEndpoint>(
    db,
    `UPDATE webhook_endpoint SET enabled = true, disabled_reason = NULL, disabled_at = NULL, failing_since = NULL,
            updated_at = now()
      WHERE id = $1 RETURNING ${ENDPOINT_COLUMNS}`,
    [id],
  );
  return row as WebhookEndpoint;
}

/** Disables an endpoint with a reason; answers the endpoint when this call disabled it, undefined if it already was. */
export async function disableEndpoint(
  db: Queryable,
  id: string,
  reason: string,
  now: Date,
): Promise<WebhookEndpoint | undefined> {
  return firstRow<WebhookEndpoint>(
    db,
    `UPDATE webhook_endpoint SET enabled = false, disabled_reason = $2, disabled_at = $3, updated_at = $3
      WHERE id = $1 AND enabled RETURNING ${ENDPOINT_COLUMNS}`,
    [id, reason, now],
  );
}

/** Replaces an endpoint's secret (a new random one unless given) and returns the endpoint. */
export async function rotateSecret(
  db: Queryable,
  id: string,
  secret = generateSecret(),
  tenant?: string,
): Promise<WebhookEndpoint> {
  secretKey(secret);
  await getEndpoint(db, id, tenant);
  const row = await firstRow<WebhookEndpoint>(
    db,
    `UPDATE webhook_endpoint SET secret = $2, updated_at = now() WHERE id = $1 RETURNING ${ENDPOINT_COLUMNS}`,
    [id, secret],
  );
  return row as WebhookEndpoint;
}

/** How often a healthy endpoint's `last_success_at` is written at most. */
export const SUCCESS_WRITE_EVERY_MS = 1_000;

/**
 * A delivery succeeded: the failure streak ends. The row is written only when that changes something: a
 * failure streak to end, or a `last_success_at` older than SUCCESS_WRITE_EVERY_MS. So deliveries to one
 * healthy endpoint do not queue on its row lock (see also SuccessMarks); and the write never waits for one:
 * when another transaction holds the row (it is writing the endpoint's health too), this mark is left out,
 * and a later success writes it.
 */
export async function markEndpointHealthy(
  db: Queryable,
  endpoint: Pick<WebhookEndpoint, 'id' | 'failingSince' | 'lastSuccessAt'>,
  now: Date,
): Promise<void> {
  const recent =
    endpoint.lastSuccessAt && now.getTime() - endpoint.lastSuccessAt.getTime() < SUCCESS_WRITE_EVERY_MS;
  if (!endpoint.failingSince && recent) return;
  await db.query(
    `UPDATE webhook_endpoint SET failing_since = NULL, last_success_at = $2
     WHERE id = (SELECT id FROM webhook_endpoint
                  WHERE id = $1 AND (failing_since IS NOT NULL OR last_success_at IS NULL
                                     OR last_success_at < $2::timestamptz - make_interval(secs => $3))
                    FOR UPDATE SKIP LOCKED)`,
    [endpoint.id, now, SUCCESS_WRITE_EVERY_MS / 1000],
  );
}

/** A delivery failed: starts the failure streak if none is running; returns since when it fails. */
export async function markEndpointFailing(db: Queryable, id: string, now: Date): Promise<Date | undefined> {
  const row = await firstRow<{ failing_since: Date }>(
    db,
    `UPDATE webhook_endpoint SET failing_since = COALESCE(failing_since, $2) WHERE id = $1 RETURNING failing_since`,
    [id, now],
  );
  return row?.failing_since;
}

/** An endpoint as a tenant or operator sees it in a listing: times as ISO strings, the secret hidden. */
export function publicEndpoint(e: WebhookEndpoint, withSecret = false): Record<string, unknown> {
  const { secret, ...shown } = e;
  const json = Object.fromEntries(
    Object.entries(shown).map(([field, value]) => [
      field,
      value instanceof Date ? value.toISOString() : value,
    ]),
  );
  return { ...json, ...(withSecret ? { secret } : {}) };
}
