import type { Command } from 'commander';
import { poolOf } from '../../db';
import {
  createEndpoint,
  deleteEndpoint,
  enableEndpoint,
  getEndpoint,
  listAttempts,
  listEndpoints,
  publicEndpoint,
  rotateSecret,
} from '../../webhooks';
import { shortTime, withAdmissionDb } from './admission-db';

/** `waggle webhooks add|list|remove|enable|rotate-secret|attempts`: tenants' outbound webhook endpoints. */
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
          const endpoint = await createEndpoint(poolOf(db), {
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

  webhooks
    .command('list')
    .description('endpoints with their state')
    .option('--tenant <id>', 'only this tenant')
    .option('--json', 'print JSON')
    .action(async (opts: { tenant?: string; json?: boolean }) => {
      await withAdmissionDb(async (db) => {
        const list = await listEndpoints(poolOf(db), opts.tenant);
        if (opts.json) {
          console.log(
            JSON.stringify(
              list.map((e) => publicEndpoint(e)),
              null,
              2,
            ),
          );
          return;
        }
        if (list.length === 0) {
          console.log('no webhook endpoints: waggle webhooks add <tenant> <url>');
          return;
        }
        console.log(
          ['ID'.padEnd(36), 'TENANT'.padEnd(14), 'STATE'.padEnd(9), 'EVENTS'.padEnd(24), 'URL'].join(' '),
        );
        for (const e of list) {
          console.log(
            [
              e.id.padEnd(36),
              e.tenant.padEnd(14),
              (e.enabled ? 'enabled' : 'disabled').padEnd(9),
              (e.eventTypes.join(',') || '*').padEnd(24),
              e.url,
            ].join(' '),
          );
          if (!e.enabled) console.log(`  disabled ${shortTime(e.disabledAt)}: ${e.disabledReason}`);
          else if (e.failingSince) console.log(`  failing since ${shortTime(e.failingSince)}`);
        }
      });
    });

  webhooks
    .command('remove <id>')
    .description('delete an endpoint (its attempt log goes with it)')
    .action(async (id: string) => {
      await withAdmissionDb(async (db) => {
        await deleteEndpoint(poolOf(db), id);
        console.log(`removed webhook endpoint ${id}`);
      });
    });

  webhooks
    .command('enable <id>')
    .description('turn a disabled endpoint back on (its failure streak starts afresh)')
    .action(async (id: string) => {
      await withAdmissionDb(async (db) => {
        const e = await enableEndpoint(poolOf(db), id);
        console.log(`enabled ${e.url} for ${e.tenant}`);
      });
    });

  webhooks
    .command('rotate-secret <id>')
    .description('replace the signing secret; prints the new one (shown once)')
    .action(async (id: string) => {
      await withAdmissionDb(async (db) => {
        const e = await rotateSecret(poolOf(db), id);
        console.log(e.secret);
        console.error(`new signing secret for ${e.url}; deliveries from now on are signed with it`);
      });
    });

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
