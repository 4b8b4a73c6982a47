import type { AddressInfo } from 'node:net';
import { Option, type Command } from 'commander';
import { loadConfig, nodeUrls } from '../../config';
import { configureLogger, logger } from '../../observability';
import { AUTOSCALE_MODES, Platform, ROLE_NAMES, topologyBootStep, withLocalAutoscale } from '../../roles';
import { CliError } from '../cli-error';
import { reportFailure } from '../report-failure';
import { rolesFrom } from '../role-catalog';
import { startFailureLine } from '../start-failure';

/** `waggle start`: runs the chosen roles in this process until SIGTERM/SIGINT. */
export function registerStart(program: Command): void {
  program
    .command('start')
    .description('run the platform: migrate, apply the topology, start the roles and serve HTTP')
    .option('--roles <list>', `comma-separated roles to run (${ROLE_NAMES.join(', ')})`, ROLE_NAMES.join(','))
    .addOption(
      new Option(
        '--autoscale <mode>',
        'local: run the workers role in worker processes that the autoscaler forks and stops by queue depth',
      ).choices(AUTOSCALE_MODES),
    )
    .addHelpText(
      'after',
      `
Every process serves GET /v1/health and GET /metrics on WAGGLE_HTTP_PORT.
SIGTERM or SIGINT stops intake, drains in-flight work within WAGGLE_SHUTDOWN_TIMEOUT and exits 0.
A failed start (port in use, database or broker not answering within WAGGLE_START_TIMEOUT, invalid
topology) stops what had started, prints one line saying what and where, and exits 1.

Examples:
  waggle start                          all roles in one process
  waggle start --roles ingress          only the HTTP ingress
  WAGGLE_HTTP_PORT=8081 waggle start --roles workers,relay
  waggle start --autoscale local        workers in 1..N child processes, scaled by queue depth`,
    )
    .action(async (opts: { roles: string; autoscale?: string }) => {
      const config = loadConfig();
      configureLogger({ level: config.logLevel, pretty: config.logPretty });
      const roles =
        opts.autoscale === 'local' ? withLocalAutoscale(rolesFrom(opts.roles)) : rolesFrom(opts.roles);
      const platform = new Platform({ config, roles, prepare: [topologyBootStep(config.topologyFile)] });
      const log = logger({ component: 'cli' });
      let stopping = false;
      const onSignal = (signal: NodeJS.Signals) => {
        // npm and a terminal may both deliver the same Ctrl-C; the first one starts the drain, the
        // timer below bounds it.
        if (stopping) return;
        stopping = true;
        log.info({ signal }, 'shutdown requested');
        const force = setTimeout(() => {
          log.error('shutdown overran its timeout: exiting');
          process.exit(1);
        }, config.shutdownTimeoutMs + 5_000);
        force.unref();
        platform.stop().then(
          () => process.exit(0),
          (err: unknown) => {
            log.error({ err }, 'shutdown failed');
            process.exit(1);
          },
        );
      };
      process.on('SIGTERM', onSignal);
      process.on('SIGINT', onSignal);
      let address: AddressInfo;
      try {
        address = await platform.start();
      } catch (err) {
        if (stopping) return; // a signal's stop is ending the process already
        // The platform has stopped what it had started; the process ends now all the same, so that nothing a
        // library may still hold open keeps a half-started waggle alive.
        process.exit(reportFailure(new CliError(startFailureLine(err, config.topologyFile), 1)));
      }
      const host = config.httpHost === '0.0.0.0' ? '127.0.0.1' : config.httpHost;
      const mgmt = new URL(nodeUrls(config.managementUrl)[0] ?? config.managementUrl);
      mgmt.username = '';
      mgmt.password = '';
      const urls = {
        http: `http://${host}:${address.port}`,
        health: `http://${host}:${address.port}/v1/health`,
        metrics: `http://${host}:${address.port}/metrics`,
        ...(roles.some((r) => r.name === 'scheduler')
          ? { console: `http://${host}:${address.port}/console` }
          : {}),
        managementUi: mgmt.toString(),
      };
      log.info(urls, 'waggle is up');
      // The log on stdout is JSON for machines; people at a terminal get the addresses on stderr.
      process.stderr.write(
        `\nwaggle is up (${roles.map((r) => r.name).join(', ')})\n` +
          `  HTTP           ${urls.http}\n  health         ${urls.health}\n` +
          `  metrics        ${urls.metrics}\n` +
          (urls.console ? `  console        ${urls.console}  (sign in with WAGGLE_ADMIN_TOKEN)\n` : '') +
          `  management UI  ${urls.managementUi}\n` +
          `Stop with Ctrl-C (drains in-flight work first).\n\n`,
      );
    });
}
