import { expect } from 'chai';
import type { Browser } from 'playwright-core';
import { poolOf } from '../../../src/db';
import { NonRetryableError } from '../../../src/errors';
import { defineSaga, SagaEngine } from '../../../src/saga';
import { eventually, isolatedDb, sampleEvent, uniqueName, useEveryRole } from '../../support';
import { numberedEvent } from '../operations/ops-rig';
import type { WaggleEvent } from '../../../src/envelope';
import { CONSOLE_TOKEN, launchChromium, newPage, parker, screenshot, signIn } from './console-rig';

const DATABASE = 'console';

/** An admin API call with the bearer token (to set up what the browser then sees). */
async function adminCall(url: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${CONSOLE_TOKEN}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('operations console in a real browser', function () {
  this.timeout(60_000);
  const waggle = useEveryRole(DATABASE, {
    adminToken: CONSOLE_TOKEN,
    // Relative, as an operator names it: the health view (in the screenshots) shows this path.
    topologyFile: 'topology/waggle.yaml',
  });
  let browser: Browser;

  before(async function () {
    browser = await launchChromium();
  });
  after(() => browser?.close());

  it('shows nothing for a wrong token, then the queues and the health of each component once signed in', async () => {
    const page = await newPage(browser);
    await signInExpectingFailure();
    async function signInExpectingFailure() {
      await page.goto(`${waggle.url}/console`);
      await page.fill('#token', 'not-the-admin-token-at-all');
      await page.click('button[type=submit]');
      await page.waitForSelector('text=That is not the admin token.');
    }
    expect(await page.locator('[data-view=queues]').count()).to.equal(0);
    expect(page.url()).to.equal(`${waggle.url}/console/login`);
    expect(page.url()).not.to.include('not-the-admin-token');
    const direct = await page.request.get(`${waggle.url}/v1/admin/sagas`);
    expect(direct.status()).to.equal(401);

    await signIn(page, waggle.url);
    expect(page.url()).not.to.include(CONSOLE_TOKEN);
    const row = page.locator('[data-view=queues] tr[data-queue="tool.calls"]');
    await row.waitFor();
    expect(await page.locator('[data-view=queues] tr[data-queue="turns.p0"]').count()).to.equal(1);
    // The workers role consumes tool.calls in this process.
    await eventually(
      async () => Number(await row.locator('td').nth(4).textContent()) >= 1,
      'a consumer on tool.calls in the overview',
    );
    await page.locator('[data-view=health] td', { hasText: 'scheduler' }).waitFor();
    const cookies = await page.context().cookies();
    expect(cookies.find((c) => c.name === 'waggle_console')).to.deep.include({
      httpOnly: true,
      sameSite: 'Strict',
    });
    await page.waitForTimeout(4_500); // a few samples for the chart
    await screenshot(page, 'overview');
  });

  it('finds a failed run by status and type, retries it, and shows it complete', async () => {
    const pool = poolOf(await isolatedDb(DATABASE));
    const type = uniqueName('console-flaky');
    let broken = true;
    const engine = new SagaEngine({ pool }).register(
      defineSaga({
        type,
        steps: [
          {
            name: 'charge-card',
            run: async () => {
              if (broken)
                throw new NonRetryableError('PAYMENT_GATEWAY_DOWN', 'the payment gateway answered 503');
            },
          },
        ],
      }),
    );
    const { id } = await engine.start({ type, tenant: 'console-co', input: { order: 42 } });
    await eventually(async () => {
      await engine.advance(id);
      return (await engine.get(id)).status === 'failed';
    }, 'the run to fail');

    const page = await newPage(browser);
    await signIn(page, waggle.url);
    await page.click('[data-nav=runs]');
    await page.selectOption('[data-field=status]', 'failed');
    await page.fill('[data-field=type]', type);
    await page.press('[data-field=type]', 'Enter');
    await page.click(`tr[data-run="${id}"] a`);
    await page.locator('[data-field=lastError]', { hasText: 'payment gateway answered 503' }).waitFor();
    await screenshot(page, 'run');

    broken = false;
    await page.click('[data-action=retry]');
    await page.click('[data-action=retry-confirm]');
    await page.locator('[role=status]', { hasText: 'Retried' }).waitFor();
    await eventually(async () => {
      await engine.advance(id);
      return (await engine.get(id)).status === 'completed';
    }, 'the retried run to complete');
    await page.locator('[data-field=status]', { hasText: 'completed' }).waitFor();
  });

  it('replays a parked group with a progress bar until it is empty, and purges another after the name is typed', async () => {
    const park = await parker(waggle.vhost);
    const tenant = uniqueName('parkco');
    // webhook.deliveries: the dispatcher takes them back quietly, since the tenant has no endpoint.
    const replayable = Array.from({ length: 12 }, () => sampleEvent(tenant) as unknown as WaggleEvent);
    for (const e of replayable) await park('webhook.deliveries', e, 'CONSOLE_ENDPOINT_LOOKUP_FAILED');
    for (let n = 1; n <= 3; n++) await park('tool.calls', numberedEvent(tenant, n), 'CONSOLE_TOOL_GONE');

    const page = await newPage(browser);
    await signIn(page, waggle.url);
    await page.click('[data-nav=parked]');
    const group = page.locator('tr', { hasText: 'CONSOLE_ENDPOINT_LOOKUP_FAILED' });
    await group.locator('[data-field=count]', { hasText: '12' }).waitFor();
    const purgeGroup = page.locator('tr', { hasText: 'CONSOLE_TOOL_GONE' });
    await purgeGroup.locator('[data-field=count]', { hasText: '3' }).waitFor();
    await screenshot(page, 'parked');

    await group.locator('a', { hasText: 'messages' }).click();
    await page.locator('details.message').first().click();
    await page.locator('table.headers th', { hasText: 'x-waggle-error-code' }).first().waitFor();
    await screenshot(page, 'parked-message');
    await page.goBack();

    await group.locator('[data-action=replay]').click();
    const progress = page.locator('[data-view=replay-progress]');
    await progress.waitFor();
    await progress
      .locator('text=Replayed 12 of 12')
      .waitFor({ timeout: 20_000 })
      .catch(async (err: unknown) => {
        throw new Error(`${(err as Error).message}\npage: ${await page.locator('main').innerText()}`);
      });
    expect(await progress.locator('progress').getAttribute('value')).to.equal('12');
    await group.waitFor({ state: 'detached' });

    await purgeGroup.locator('[data-action=purge]').click();
    const confirm = page.locator('[data-action=typed-confirm]');
    await page.fill('[data-field=confirm]', 'tool.calls');
    expect(await confirm.isDisabled()).to.equal(true);
    await page.fill('[data-field=confirm]', 'tool.calls.parked');
    await screenshot(page, 'purge');
    await confirm.click();
    await page.locator('[role=status]', { hasText: 'Purged 3 message(s)' }).waitFor();
    await purgeGroup.waitFor({ state: 'detached' });
    const left = await adminCall(
      waggle.url,
      'GET',
      '/v1/admin/parked/tool.calls.parked?errorCode=CONSOLE_TOOL_GONE',
    );
    expect(left.body.messages).to.deep.equal([]);
  });

  it('renders a webhook URL, description and parked event text holding <script> as text', async () => {
    const tenant = uniqueName('xssco');
    const evil = '<script>window.__xss = 1</script><img src=x onerror="window.__xss = 2">';
    const created = await adminCall(waggle.url, 'POST', '/v1/admin/webhooks/endpoints', {
      tenant,
      url: `https://hooks.example.test/in?next=${evil}`,
      description: evil,
    });
    expect(created.status).to.equal(201);
    const park = await parker(waggle.vhost);
    await park('tool.calls', { ...numberedEvent(tenant, 1), data: { text: evil } }, 'CONSOLE_XSS', evil);

    const page = await newPage(browser);
    await signIn(page, waggle.url);
    await page.click('[data-nav=webhooks]');
    const row = page.locator(`tr[data-endpoint="${(created.body.endpoint as { id: string }).id}"]`);
    await row.waitFor();
    expect(await row.locator('td').nth(3).textContent()).to.equal(evil);
    expect(await row.locator('td.url').textContent()).to.include('<script>');
    await row.locator('[data-action=attempts]').click();
    await screenshot(page, 'webhooks');

    await page.click('[data-nav=parked]');
    await page.locator('tr', { hasText: 'CONSOLE_XSS' }).locator('a', { hasText: 'messages' }).click();
    const message = page.locator('details.message').first();
    await message.click();
    // The body is the event's JSON, so the quotes in it are escaped there.
    expect(await message.locator('pre').textContent()).to.include('<script>window.__xss = 1</script>');
    expect(await message.locator('summary').textContent()).to.include(evil);
    expect(await page.evaluate(() => (globalThis as { __xss?: number }).__xss)).to.equal(undefined);
    expect(await page.locator('#app script, #app img').count()).to.equal(0);
  });

  it('looks up an ordered session and skips it forward after confirmation', async () => {
    const tenant = uniqueName('sessco');
    const start = await adminCall(
      waggle.url,
      'POST',
      `/v1/admin/sessions/turn-processor/${tenant}/chat-7/skip-to`,
      {
        sequence: 3,
        reason: 'set up by the test',
      },
    );
    expect(start.body).to.deep.include({ from: 0, to: 3 });

    const page = await newPage(browser);
    await signIn(page, waggle.url);
    await page.click('[data-nav=sessions]');
    await page.fill('[data-field=tenant]', tenant);
    await page.fill('[data-field=session]', 'chat-7');
    await page.click('[data-action=look-up]');
    await page.locator('[data-field=cursor]', { hasText: '3' }).waitFor();
    await page.fill('[data-field=skip-to]', '5');
    await page.click('[data-action=skip]');
    await page.locator('text=Record 2 sequence(s) after 3 as skipped').waitFor();
    await page.click('[data-action=skip-confirm]');
    await page.locator('[data-field=cursor]', { hasText: '5' }).waitFor();
    await page.locator('[data-view=skipped] td', { hasText: 'skipped from the console' }).first().waitFor();
    await screenshot(page, 'sessions');
  });

  it('refuses a change that lacks the session CSRF token or comes from another origin', async () => {
    const page = await newPage(browser);
    await signIn(page, waggle.url);
    const csrf = (await page.getAttribute('meta[name=csrf-token]', 'content')) as string;
    expect(csrf).to.have.length.above(20);
    // The browser context's own request client: it sends the session cookie and exactly the headers given.
    const purge = (headers: Record<string, string>) =>
      page.request.post(`${waggle.url}/v1/admin/parked/tool.calls.parked/purge`, {
        headers,
        data: { confirm: 'tool.calls.parked' },
      });

    const noToken = await purge({ origin: waggle.url });
    expect([noToken.status(), (await noToken.json()).code]).to.deep.equal([403, 'CSRF_TOKEN_INVALID']);
    const wrongToken = await purge({ origin: waggle.url, 'x-csrf-token': `${csrf}x` });
    expect([wrongToken.status(), (await wrongToken.json()).code]).to.deep.equal([403, 'CSRF_TOKEN_INVALID']);
    const elsewhere = await purge({ origin: 'https://evil.example.test', 'x-csrf-token': csrf });
    expect([elsewhere.status(), (await elsewhere.json()).code]).to.deep.equal([403, 'ORIGIN_REFUSED']);
    const allowed = await purge({ origin: waggle.url, 'x-csrf-token': csrf });
    expect(allowed.status()).to.equal(200);

    const foreignLogin = await page.request.post(`${waggle.url}/console/login`, {
      headers: { origin: 'https://evil.example.test' },
      form: { token: CONSOLE_TOKEN },
      maxRedirects: 0,
    });
    expect([foreignLogin.status(), foreignLogin.headers()['set-cookie']]).to.deep.equal([403, undefined]);
  });
});
