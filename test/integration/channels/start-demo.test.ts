import { expect } from 'chai';
import {
  amqpUrlFor,
  isolatedDb,
  isolatedDbUrl,
  spawnWaggle,
  tempVhost,
  testEnv,
  waitForOutput,
  tenantWithKey,
} from '../../support';
import { openSse } from './sse-client';

// The suites' shared database is served by other suites' relays; this one runs its own relay.
const DEMO_DB = 'channels_demo';

describe('channels: `waggle start` runs the chat loop as the README shows it', function () {
  this.timeout(90_000);

  it('a web-chat message sent with curl gets its reply on the SSE stream', async () => {
    const vhost = await tempVhost('demo');
    const env = testEnv({
      WAGGLE_AMQP_URL: amqpUrlFor(vhost),
      WAGGLE_DATABASE_URL: isolatedDbUrl(DEMO_DB),
      WAGGLE_HTTP_HOST: '127.0.0.1',
    });
    // What `waggle tenants create` and `waggle keys create` do, on the database this process uses.
    const { token: key } = await tenantWithKey('demo', { db: await isolatedDb(DEMO_DB) });

    const waggle = spawnWaggle(['start'], env);
    const [, url] = await waitForOutput(waggle, /HTTP\s+(http:\/\/\S+)/, 60_000);
    const stream = await openSse(`${url}/v1/sessions/s-1/stream`, { authorization: `Bearer ${key}` });
    expect(stream.status).to.equal(200);
    const sent = await fetch(`${url}/v1/channels/webchat/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ sessionId: 's-1', text: 'hello waggle' }),
    });
    expect(sent.status).to.equal(202);
    const [reply] = await stream.waitFor(1, 30_000);
    expect(reply?.id).to.equal('1');
    expect(reply?.event).to.equal('message.reply');
    expect((JSON.parse(reply!.data) as { data: { text: string } }).data.text).to.equal(
      'You said: hello waggle',
    );

    waggle.child.kill('SIGTERM');
    expect(await waggle.exited).to.equal(0);
    await stream.ended;
  });
});
