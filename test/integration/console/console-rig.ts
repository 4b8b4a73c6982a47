import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { BrokerConnection, ConfirmedPublisher } from '../../../src/broker';
import { toAmqpMessage, type WaggleEvent } from '../../../src/envelope';
import { NonRetryableError } from '../../../src/errors';
import { describeFailure, parkMessage } from '../../../src/retry';
import { REPO_ROOT, amqpUrlFor, autoTeardown } from '../../support';

/** Debian's chromium, as CI installs it (scripts/ci-tools.sh). */
export const CHROMIUM = '/usr/bin/chromium';
export const CONSOLE_TOKEN = 'console-test-admin-token-0123456789';

/**
 * Debian's chromium, headless, with no network of its own (no updates, sync or first-run pages), since the
 * machine has none. Playwright starts every launch on a fresh profile directory of its own (it refuses a
 * --user-data-dir argument), removed when the browser closes. The caller closes it.
 */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `chromium is missing: the console tests drive Debian's chromium at ${CHROMIUM}; ` +
        'install it with `apt-get install chromium` (CI does so in scripts/ci-tools.sh)',
    );
  }
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return browser;
}

/** A fresh page of a launched browser, sized like an operator's laptop screen. */
export async function newPage(browser: Browser): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  autoTeardown(() => context.close());
  return context.newPage();
}

/** Signs in through the form, as an operator does; lands on the overview. */
export async function signIn(page: Page, url: string, token = CONSOLE_TOKEN): Promise<void> {
  await page.goto(`${url}/console`);
  await page.fill('#token', token);
  await Promise.all([page.waitForURL(`${url}/console`), page.click('button[type=submit]')]);
}

/**
 * With WAGGLE_CONSOLE_SCREENSHOTS set (`npm run console:screenshots`), saves the page as docs/console/<name>.png
 * for the console's docs page.
 */
export async function screenshot(page: Page, name: string): Promise<void> {
  if (!process.env.WAGGLE_CONSOLE_SCREENSHOTS) return;
  const dir = path.join(REPO_ROOT, 'docs', 'console');
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: path.join(dir, `${name}.png`), fullPage: true });
}

/** Parks events in `<queue>.parked` of a vhost, as a consumer does after its last attempt. */
export async function parker(vhost: string) {
  const broker = new BrokerConnection({ url: amqpUrlFor(vhost), name: 'console-test' });
  autoTeardown(() => broker.close());
  await broker.waitForConnect(10_000);
  const publisher = new ConfirmedPublisher(broker);
  autoTeardown(() => publisher.close());
  return async (queue: string, event: WaggleEvent, code: string, message = `failed with ${code}`) => {
    const m = toAmqpMessage(event);
    await parkMessage(publisher, {
      message: {
        content: m.content,
        properties: m.properties,
        exchange: 'events',
        routingKey: m.routingKey,
        queue,
      },
      parkedQueue: `${queue}.parked`,
      consumer: 'webhook-dispatcher',
      failure: describeFailure(new NonRetryableError(code, message)),
      attempts: 1,
    });
  };
}
