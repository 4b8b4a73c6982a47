import type { Command } from 'commander';
import type { Pool } from 'pg';
import { loadConfig } from '../../config';
import { poolOf, type Queryable } from '../../db';
import { loadTopology } from '../../topology';
import {
  enableEndpoint,
  getEndpoint,
  listAttempts,
  listEndpoints,
  publicEndpoint,
  rotateSecret,
  webhookSubscriptionsOf,
  type WebhookSubscriptions,
} from '../../webhooks';
import { shortTime, withAdmissionDb } from './admission-db';
import { addListCommand } from './listing';

/**
 * The endpoints' subscriptions as the configured topology routes them (WAGGLE_TOPOLOGY_FILE): adding and
 * removing an endpoint binds and unbinds its event types on the broker there.
 */
async function subscriptionsOf(pool: Pool): Promise<WebhookSubscriptions> {
  const config = loadConfig();
  return webhookSubscriptionsOf({
    pool,
    topology: await loadTopology(config.topologyFile),
    amqpUrl: config.amqpUrl,
    managementUrl: config.managementUrl,
  });
}

/** `waggle webhooks add|list|remove|rebind|enable|rotate-secret|attempts`: tenants' outbound webhook endpoints. */
export function registerWebhooks(program: Command): void {
  const webhooks = program
    .command('webhooks')
    .description(
      "register tenants' webhook endpoints (Standard Webhooks signatures) and read their attempt log",
    );

  webhooks
    .command('add <tenant> <url>')
    .description('register an endpoint; prints its id and its whsec_ signing secret (shown once)')
    .option(
      '--events <patterns>',
      'comma-separated event types: message.received, tool.call.*, session.# (default: all)',
    )
    .option('--secret <whsec>', 'use this whsec_ secret instead of a generated one')
    .option('--description <text>', 'what the endpoint is')
    .addHelpText(
      'after',
      `
Example:
  waggle webhooks add acme https://hooks.acme.example/waggle --events 'message.*,tool.call.#'
Each delivery carries webhook-id, webhook-timestamp and webhook-signature (v1,<base64 HMAC-SHA256 of
id.timestamp.body>); verify them with any Standard Webhooks library and the printed secret.`,
    )
    .action(
      async (
        tenant: string,
        url: string,
        opts: { events?: string; secret?: string; description?: string },
      ) => {
        await withAdmissionDb(async (db) => {
          const subscriptions = await subscriptionsOf(poolOf(db));
          const endpoint = await subscriptions.register({
            tenant,
            url,
            eventTypes: opts.events
              ? opts.events
                  .split(',')
                  .map((s) => s.trim())
                  .filter(Boolean)
              : [],
            secret: opts.secret,
            description: opts.description,
          });
          console.log(endpoint.id);
          console.log(endpoint.secret);
          console.error(
            `registered ${endpoint.url} for ${endpoint.tenant} (${endpoint.eventTypes.join(', ') || 'every event'}); ` +
              'the second line is its signing secret, shown only now',
          );
        });
      },
    );

  addListCommand(webhooks, {
    description: 'endpoints with their state',
    tenantOption: 'only this tenant',
    load: (db, tenant) => listEndpoints(poolOf(db), tenant),
    asJson: (e) => publicEndpoint(e),
    empty: 'no webhook endpoints: waggle webhooks add <tenant> <url>',
    headers: ['ID', 'TENANT', 'STATE', 'EVENTS', 'URL'],
    widths: [36, 14, 9, 24],
    cells: (e) => [e.id, e.tenant, e.enabled ? 'enabled' : 'disabled', e.eventTypes.join(',') || '*', e.url],
    notes: (e) =>
      !e.enabled
        ? [`  disabled ${shortTime(e.disabledAt)}: ${e.disabledReason}`]
        : e.failingSince
          ? [`  failing since ${shortTime(e.failingSince)}`]
          : [],
  });

  // The commands that act on one endpoint, named by its id.
  const onEndpoint = (
    usage: string,
    description: string,
    act: (db: Queryable, id: string) => Promise<void>,
  ) =>
    webhooks
      .command(usage)
      .description(description)
      .action((id: string) => withAdmissionDb((db) => act(poolOf(db), id)));

  webhooks
    .command('remove <id>')
    .description('delete an endpoint (its attempt log goes with it) and unbind what only it subscribed to')
    .action((id: string) =>
      withAdmissionDb(async (db) => {
        await (await subscriptionsOf(poolOf(db))).remove(id);
        console.log(`removed webhook endpoint ${id}`);
      }),
    );

  webhooks
    .command('rebind')
    .description(
      "bind every key the endpoints subscribe to and unbind the ones none needs (the platform's boot does it too)",
    )
    .action(() =>
      withAdmissionDb(async (db) => {
        const report = await (await subscriptionsOf(poolOf(db))).reconcile();
        console.log(
          `webhook subscriptions: ${report.bound} bound, ${report.unbound} unbound` +
            (report.skipped > 0
              ? `, ${report.skipped} endpoint(s) with patterns that cannot be bound, left out (see the log; update or remove them)`
              : '') +
            (report.listed ? '' : ' (the management API did not answer: stale bindings were not looked for)'),
        );
      }),
    );

  onEndpoint(
    'enable <id>',
    'turn a disabled endpoint back on (its failure streak starts afresh)',
    async (db, id) => {
      const e = await enableEndpoint(db, id);
      console.log(`enabled ${e.url} for ${e.tenant}`);
    },
  );

  onEndpoint(
    'rotate-secret <id>',
    'replace the signing secret; prints the new one (shown once)',
    async (db, id) => {
      const e = await rotateSecret(db, id);
      console.log(e.secret);
      console.error(`new signing secret for ${e.url}; deliveries from now on are signed with it`);
    },
  );

  webhooks
    .command('attempts <id>')
    .description('the attempt log of an endpoint, newest first: status, latency, answer excerpt')
    .option('--limit <n>', 'at most this many', '20')
    .option('--json', 'print JSON')
    .action(async (id: string, opts: { limit: string; json?: boolean }) => {
      await withAdmissionDb(async (db) => {
        const pool = poolOf(db);
        const endpoint = await getEndpoint(pool, id);
        const attempts = await listAttempts(pool, {
          endpointId: endpoint.id,
          limit: Number(opts.limit) || 20,
        });
        if (opts.json) {
          console.log(JSON.stringify(attempts, null, 2));
          return;
        }
        if (attempts.length === 0) {
          console.log(`no attempts yet for ${endpoint.url}`);
          return;
        }
        for (const a of attempts) {
          const status = a.statusCode === null ? (a.error ?? 'no answer') : `HTTP ${a.statusCode}`;
          const excerpt = a.responseExcerpt ? `  ${JSON.stringify(a.responseExcerpt.slice(0, 80))}` : '';
          console.log(
            `${shortTime(a.attemptedAt)}  #${a.attempt}  ${a.outcome.padEnd(9)} ${status.padEnd(10)} ${String(a.latencyMs).padStart(6)} ms  ${a.eventType} ${a.eventId}${excerpt}`,
          );
        }
      });
    });
}
