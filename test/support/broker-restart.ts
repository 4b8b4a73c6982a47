import { execFile } from 'node:child_process';
import { connect } from 'node:net';
import { promisify } from 'node:util';
import { loadConfig, nodeUrls } from '../../src/config';
import { managementApi } from './broker-admin';
import { eventually } from './eventually';

const run = promisify(execFile);

function portAnswers(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.setTimeout(1_000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

/** Stops the RabbitMQ application and starts it again (`rabbitmqctl stop_app && start_app`). */
export async function restartBrokerApp(): Promise<void> {
  await run('rabbitmqctl', ['stop_app'], { timeout: 60_000 });
  await run('rabbitmqctl', ['start_app'], { timeout: 120_000 });
}

/**
 * Makes sure the broker is back: starts the application (harmless when it runs) and waits until the AMQP
 * port and the management API answer. For a `finally`/`after` of every test that stops the broker.
 */
export async function ensureBrokerUp(timeoutMs = 120_000): Promise<void> {
  await run('rabbitmqctl', ['start_app'], { timeout: 120_000 }).catch(() => undefined);
  // The machine's own broker, the one rabbitmqctl restarts: the first node of the list.
  const url = new URL(nodeUrls(loadConfig().amqpUrl)[0] ?? loadConfig().amqpUrl);
  await eventually(
    async () =>
      (await portAnswers(url.hostname, Number(url.port || 5672))) &&
      (await managementApi('GET', '/overview').then(
        () => true,
        () => false,
      )),
    'RabbitMQ back: the AMQP port and the management API answer',
    { timeoutMs, everyMs: 500 },
  );
}
