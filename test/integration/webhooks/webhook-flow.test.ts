import { randomUUID } from 'node:crypto';
import amqplib from 'amqplib';
import { expect } from 'chai';
import { toAmqpMessage, type WaggleEvent } from '../../../src/envelope';
import { ManualClock, type SagaRecord } from '../../../src/saga';
import {
  ATTEMPT_REQUESTED,
  getEndpoint,
  INLINE_DELIVERY_STARTS,
  listAttempts,
  type WebhookEndpoint,
} from '../../../src/webhooks';
import { autoTeardown, uniqueName, verifyStandardWebhook, eventually } from '../../support';
import {
  ADMIN_TOKEN,
  httpStub,
  manualRig,
  platformRig,
  transactionsHeldUntil,
  type ManualRig,
  type PlatformRig,
} from '../saga/flow-rig';

async function postEvent(rig: PlatformRig, session: string, text: string): Promise<string> {
  const id = randomUUID();
  const res = await fetch(`${rig.baseUrl}/v1/events`, {
    method: 'POST',
    headers: { authorization: `Bearer ${rig.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      specversion: '1.0',
      id,
      source: '/tests/webchat',
      type: 'message.received',
      channel: 'webchat',
      sessionid: session,
      data: { text },
    }),
  });
  expect(res.status).to.equal(202);
  return id;
}

async function adminRegister(
  rig: PlatformRig,
  url: string,
  eventTypes: string[],
): Promise<{ id: string; secret: string }> {
  const res = await fetch(`${rig.baseUrl}/v1/admin/webhooks/endpoints`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ tenant: rig.tenant, url, eventTypes }),
  });
  expect(res.status).to.equal(201);
  return ((await res.json()) as { endpoint: { id: string; secret: string } }).endpoint;
}

/** Publishes an event straight to the manual rig's `events` exchange (as admission would). */
async function publishEvent(
  rig: ManualRig,
  tenant: string,
  text: string,
  as: { type: string; data: unknown } = { type: 'message.received', data: { text } },
): Promise<WaggleEvent> {
  const event: WaggleEvent = {
    specversion: '1.0',
    id: randomUUID(),
    source: '/tests',
    type: as.type,
    time: new Date().toISOString(),
    tenantid: tenant,
    channel: 'webchat',
    sessionid: 's-1',
    correlationid: randomUUID(),
    sequence: 1,
    data: as.data,
  };
  const connection = await amqplib.connect(rig.amqpUrl);
  autoTeardown(() => connection.close().catch(() => undefined));
  const channel = await connection.createConfirmChannel();
  const m = toAmqpMessage(event);
  channel.publish('events', m.routingKey, m.content, m.properties);
  await channel.waitForConfirms();
  return event;
}

async function deliverySaga(rig: ManualRig, endpoint: WebhookEndpoint, eventId: string): Promise<string> {
  let id: string | undefined;
  await eventually(
    async () =>
      Boolean((id = await rig.runtime.engine.findId('webhook-delivery', `${endpoint.id}/${eventId}`))),
    'delivery saga started',
  );
  return id as string;
}

describe('saga flows: webhook delivery (Standard Webhooks)', function () {
  this.timeout(60_000);

  it('delivers matching events signed per the Standard Webhooks spec and logs every attempt', async () => {
    const rig = await platformRig();
    const receiver = await httpStub(() => ({ status: 200, body: { thanks: true } }));
    const endpoint = await adminRegister(rig, `${receiver.url}/hooks`, ['message.*']);
    expect(endpoint.secret).to.match(/^whsec_/);

    const eventId = await postEvent(rig, 's-web', 'hello hooks');
    await eventually(() => receiver.received.length === 1, 'webhook received');
    const req = receiver.received[0]!;
    const verdict = verifyStandardWebhook(endpoint.secret, req.headers, req.raw);
    expect(verdict, verdict.reason).to.deep.include({ valid: true });
    expect(req.headers['webhook-id']).to.match(/^msg_[0-9a-f]{32}$/);
    expect(req.headers['content-type']).to.equal('application/json');
    expect(req.body).to.deep.include({
      type: 'message.received',
      id: eventId,
      tenant: rig.tenant,
      session: 's-web',
    });
    expect(req.body.data).to.deep.equal({ text: 'hello hooks' });
    expect(req.body.sequence).to.equal(1);

    await eventually(
      async () => (await listAttempts(rig.pool, { endpointId: endpoint.id })).length === 1,
      'attempt logged',
    );
    const res = await fetch(`${rig.baseUrl}/v1/admin/webhooks/endpoints/${endpoint.id}/attempts`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    const { attempts } = (await res.json()) as { attempts: Array<Record<string, unknown>> };
    expect(attempts).to.have.length(1);
    expect(attempts[0]).to.deep.include({
      attempt: 1,
      statusCode: 200,
      outcome: 'delivered',
      eventId,
      responseExcerpt: '{"thanks":true}',
    });
    expect(attempts[0]?.latencyMs).to.be.a('number');
    // A filter that does not match: no delivery.
    const other = await httpStub(() => ({ status: 200 }));
    await adminRegister(rig, other.url, ['tool.call.*']);
    await postEvent(rig, 's-web', 'second');
    await eventually(() => receiver.received.length === 2, 'second webhook');
    expect(other.received).to.have.length(0);
  });

  it("makes an event's first attempts side by side, and starts the endpoints past the inline share the durable way", async () => {
    const rig = await platformRig();
    // The first INLINE_DELIVERY_STARTS requests are answered only once all of them have arrived (else, after
    // 10 s, with 503): made one after another, the first would wait out the 10 s and fail.
    let arrived = 0;
    let allArrived: () => void = () => undefined;
    const together = new Promise<void>((resolve) => (allArrived = resolve));
    const receiver = await httpStub(async () => {
      arrived += 1;
      if (arrived === INLINE_DELIVERY_STARTS) allArrived();
      const gone = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 10_000).unref());
      return (await Promise.race([together.then(() => true), gone])) ? { status: 200 } : { status: 503 };
    });
    const count = INLINE_DELIVERY_STARTS + 2;
    const endpoints: Array<{ id: string }> = [];
    for (let i = 0; i < count; i++) {
      endpoints.push(await adminRegister(rig, `${receiver.url}/hooks/${i}`, ['message.*']));
    }

    const eventId = await postEvent(rig, 's-fanout', 'to every endpoint');
    const attemptsOf = async () =>
      (
        await rig.pool.query<{ endpoint_id: string; attempt: number; outcome: string }>(
          'SELECT endpoint_id, attempt, outcome FROM webhook_attempt WHERE event_id = $1',
          [eventId],
        )
      ).rows;
    await eventually(async () => (await attemptsOf()).length === count, 'every endpoint attempted', {
      timeoutMs: 30_000,
    });

    const attempts = await attemptsOf();
    expect(attempts.map((a) => [a.attempt, a.outcome])).to.deep.equal(
      Array.from({ length: count }, () => [1, 'delivered']),
    );
    expect(new Set(attempts.map((a) => a.endpoint_id))).to.deep.equal(new Set(endpoints.map((e) => e.id)));
    // One POST per endpoint, each with its own webhook-id.
    expect(receiver.received.map((r) => r.path).sort()).to.deep.equal(
      Array.from({ length: count }, (_, i) => `/hooks/${i}`).sort(),
    );
    expect(new Set(receiver.received.map((r) => r.headers['webhook-id'])).size).to.equal(count);
  });

  it('disables an endpoint that answers 410 Gone and tells the tenant', async () => {
    const rig = await platformRig();
    const receiver = await httpStub(() => ({ status: 410 }));
    const endpoint = await adminRegister(rig, receiver.url, []);
    await postEvent(rig, 's-gone', 'anyone there?');
    const told = await rig.results.next((r) => r.type === 'webhook.endpoint.disabled');
    expect(told.data).to.deep.include({ endpointId: endpoint.id, url: receiver.url });
    expect(told.data.reason).to.match(/410 Gone/);
    expect(told.sequence).to.be.a('number'); // admitted: the tenant's notification session has a sequence
    const stored = await getEndpoint(rig.pool, endpoint.id);
    expect(stored.enabled).to.equal(false);

    await postEvent(rig, 's-gone', 'and now?');
    await new Promise((r) => setTimeout(r, 1_000));
    expect(receiver.received).to.have.length(1);
  });

  it('retries on the schedule (5 s, 5 m, …) on the injected clock, and honours Retry-After', async () => {
    const clock = new ManualClock();
    const rig = await manualRig(clock);
    const tenant = uniqueName('hook');
    const receiver = await httpStub((_req, n) =>
      n === 1
        ? { status: 500, body: { error: 'boom' } }
        : n === 2
          ? { status: 503 }
          : n === 3
            ? { status: 429, headers: { 'retry-after': '120' } }
            : { status: 204 },
    );
    const endpoint = await rig.subscriptions.register({ tenant, url: receiver.url });
    const event = await publishEvent(rig, tenant, 'retry me');
    const sagaId = await deliverySaga(rig, endpoint, event.id);
    const saga = () => rig.runtime.engine.get(sagaId);
    const waitAttempts = (n: number) =>
      eventually(async () => {
        const s = await saga();
        return s.status === 'completed' || (s.status === 'running' && s.attempts === n);
      }, `attempt ${n} answered`);
    const t0 = clock.now().getTime();

    await rig.timers.runOnce(); // attempt 1 → 500
    await waitAttempts(1);
    let s: SagaRecord = await saga();
    expect(s.wakeAt?.getTime()).to.equal(t0 + 5_000);
    clock.advance(4_999);
    expect(await rig.timers.runOnce()).to.equal(0);

    clock.advance(1); // attempt 2 → 503 without Retry-After: the schedule's 5 m
    await rig.timers.runOnce();
    await waitAttempts(2);
    s = await saga();
    expect(s.wakeAt?.getTime()).to.equal(t0 + 5_000 + 300_000);

    clock.advance(300_000); // attempt 3 → 429 Retry-After: 120 → 2 minutes, not the schedule's 30
    await rig.timers.runOnce();
    await waitAttempts(3);
    s = await saga();
    expect(s.wakeAt?.getTime()).to.equal(t0 + 305_000 + 120_000);

    clock.advance(120_000); // attempt 4 → 204
    await rig.timers.runOnce();
    await eventually(async () => (await saga()).status === 'completed', 'delivered');
    const attempts = (await listAttempts(rig.pool, { sagaId })).reverse();
    expect(attempts.map((a) => [a.attempt, a.statusCode, a.outcome])).to.deep.equal([
      [1, 500, 'failed'],
      [2, 503, 'failed'],
      [3, 429, 'failed'],
      [4, 204, 'delivered'],
    ]);
    expect(attempts[0]?.responseExcerpt).to.equal('{"error":"boom"}');
    expect(new Set(receiver.received.map((r) => r.headers['webhook-id'])).size).to.equal(1);
    expect((await getEndpoint(rig.pool, endpoint.id)).failingSince).to.equal(null);
  });

  it('holds no transaction open while a slow endpoint takes a retry; the attempt and reply commit together', async () => {
    const clock = new ManualClock();
    const rig = await manualRig(clock);
    const tenant = uniqueName('hook');
    let answered: () => void = () => undefined;
    const answering = new Promise<void>((resolve) => (answered = resolve));
    // The first attempt (made inline as the saga starts) fails; the retry is a command the dispatcher runs.
    const receiver = await httpStub(async (_req, n) => {
      if (n === 1) return { status: 500 };
      await new Promise((r) => setTimeout(r, 2_000));
      answered();
      return { status: 204 };
    });
    const endpoint = await rig.subscriptions.register({ tenant, url: receiver.url });
    const event = await publishEvent(rig, tenant, 'take your time');
    const sagaId = await deliverySaga(rig, endpoint, event.id);
    const saga = () => rig.runtime.engine.get(sagaId);
    await eventually(async () => (await saga()).attempts === 1, 'the first attempt answered');

    clock.advance(5_000);
    await rig.timers.runOnce(); // the retry's command reaches the dispatcher, which POSTs
    await eventually(() => receiver.received.length === 2, 'the retry reached the endpoint');
    const held = await transactionsHeldUntil(rig.pool, answering);
    expect(held, 'sessions in a transaction during the attempt').to.deep.equal([]);

    await eventually(async () => (await saga()).status === 'completed', 'delivered');
    const attempts = (await listAttempts(rig.pool, { sagaId })).reverse();
    expect(attempts.map((a) => [a.attempt, a.statusCode, a.outcome])).to.deep.equal([
      [1, 500, 'failed'],
      [2, 204, 'delivered'],
    ]);
    const replies = (await rig.runtime.engine.timeline(sagaId)).filter((e) => e.kind === 'message');
    expect(replies).to.have.length(1);
  });

  it("fails no other tenant's delivery when an endpoint is removed while its delivery is in flight", async () => {
    const clock = new ManualClock();
    const rig = await manualRig(clock);
    const [gone, kept] = [uniqueName('gone'), uniqueName('kept')];
    // While the gate is shut, every receiver holds its answer: the runs then finish together, and their
    // attempts are committed in one batch.
    let open: () => void = () => undefined;
    const gate = { shut: false, opened: new Promise<void>((resolve) => (open = resolve)) };
    const answer = async () => {
      if (gate.shut) await gate.opened;
      return { status: 204 };
    };
    const [goneReceiver, keptReceiver] = [await httpStub(answer), await httpStub(answer)];
    const goneEndpoint = await rig.subscriptions.register({ tenant: gone, url: goneReceiver.url });
    const keptEndpoint = await rig.subscriptions.register({ tenant: kept, url: keptReceiver.url });
    // A first delivery to each records its endpoint healthy (in a transaction of its own); on the rig's still
    // clock, the next ones have no health to write and join the group commit.
    for (const [tenant, endpoint] of [
      [gone, goneEndpoint],
      [kept, keptEndpoint],
    ] as const) {
      const first = await publishEvent(rig, tenant, 'first');
      const sagaId = await deliverySaga(rig, endpoint, first.id);
      await eventually(async () => (await rig.runtime.engine.get(sagaId)).status === 'completed', 'first');
    }

    gate.shut = true;
    await publishEvent(rig, gone, 'about to be removed');
    const keptEvents = [];
    for (let i = 0; i < 5; i++) keptEvents.push(await publishEvent(rig, kept, `kept ${i}`));
    await eventually(
      () => goneReceiver.received.length === 2 && keptReceiver.received.length === 6,
      'every attempt reached its endpoint',
    );
    await rig.subscriptions.remove(goneEndpoint.id, gone);
    open();

    // The other tenant's deliveries complete once each: none is retried, so its endpoint sees no webhook-id twice.
    for (const e of keptEvents) {
      const sagaId = await deliverySaga(rig, keptEndpoint, e.id);
      await eventually(
        async () => (await rig.runtime.engine.get(sagaId)).status === 'completed',
        `delivery of ${e.id} completed`,
      );
    }
    await new Promise((r) => setTimeout(r, 1_500));
    const ids = keptReceiver.received.map((r) => r.headers['webhook-id']);
    expect(ids).to.have.length(6);
    expect(new Set(ids).size).to.equal(6);
    const attempts = await listAttempts(rig.pool, { endpointId: keptEndpoint.id });
    expect(attempts.map((a) => a.outcome)).to.deep.equal(Array(6).fill('delivered'));
    // The removed endpoint's attempts went with it, and its last delivery was not tried again.
    expect(await listAttempts(rig.pool, { endpointId: goneEndpoint.id })).to.deep.equal([]);
    expect(goneReceiver.received).to.have.length(2);
  });

  it("sends an attempt only as its saga recorded it: a tenant's own event posing as a command reaches no other endpoint", async () => {
    const clock = new ManualClock();
    const rig = await manualRig(clock);
    const [forger, victim] = [uniqueName('forger'), uniqueName('victim')];
    const victimReceiver = await httpStub(() => ({ status: 204 }));
    const victimEndpoint = await rig.subscriptions.register({ tenant: victim, url: victimReceiver.url });
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    const forgerReceiver = await httpStub(async (_req, n) => {
      if (n === 1) return { status: 500 };
      if (n === 2) await released;
      return { status: 204 };
    });
    // Any tenant may take every webhook.* event of its own: its events of that type then reach the dispatcher.
    const forgerEndpoint = await rig.subscriptions.register({
      tenant: forger,
      url: forgerReceiver.url,
      eventTypes: ['message.*', 'webhook.#'],
    });
    const event = await publishEvent(rig, forger, 'hello');
    const sagaId = await deliverySaga(rig, forgerEndpoint, event.id);
    await eventually(
      async () => (await rig.runtime.engine.get(sagaId)).attempts === 1,
      'first attempt failed',
    );
    clock.advance(5_000);
    await rig.timers.runOnce();
    await eventually(() => forgerReceiver.received.length === 2, 'the retry is in flight');
    const real = forgerReceiver.received[1]!;

    // While its saga waits for that retry, the tenant publishes an event shaped as the retry's command, naming
    // another tenant's endpoint and a body of its own.
    const forged = '{"forged":true}';
    await publishEvent(rig, forger, '', {
      type: ATTEMPT_REQUESTED,
      data: {
        sagaId,
        endpointId: victimEndpoint.id,
        messageId: 'msg_forged',
        eventId: event.id,
        eventType: 'message.received',
        attempt: 2,
        run: 1,
        body: forged,
      },
    });
    await new Promise((r) => setTimeout(r, 1_500));
    release();
    await eventually(async () => (await rig.runtime.engine.get(sagaId)).status === 'completed', 'delivered');

    expect(victimReceiver.received, 'requests to the other tenant').to.deep.equal([]);
    const sent = [...forgerReceiver.received, ...victimReceiver.received];
    expect(sent.filter((r) => r.raw === forged)).to.deep.equal([]);
    // at most the retry sent again as the saga recorded it: same webhook-id, same body
    for (const r of forgerReceiver.received.slice(1)) {
      expect(r.headers['webhook-id']).to.equal(real.headers['webhook-id']);
      expect(r.raw).to.equal(real.raw);
    }

    // A waiting saga of another type whose state the tenant chose (as a workflow run's input is) is not a
    // delivery: a command naming it sends nothing either.
    const run = randomUUID();
    await rig.pool.query(
      `INSERT INTO saga (id, type, tenant, correlation_key, status, step, step_name, input, state, attempts)
       VALUES ($1::uuid, 'forger-workflow', $2, $1::text, 'waiting', 0, 'wait', '{}', $3, 0)`,
      [
        run,
        forger,
        {
          endpointId: victimEndpoint.id,
          messageId: 'msg_forged',
          event: { id: event.id, type: 'message.received' },
          body: forged,
        },
      ],
    );
    await publishEvent(rig, forger, '', {
      type: ATTEMPT_REQUESTED,
      data: { sagaId: run, endpointId: victimEndpoint.id, attempt: 1, run: 1, body: forged },
    });
    await new Promise((r) => setTimeout(r, 1_500));
    expect(victimReceiver.received, 'requests to the other tenant').to.deep.equal([]);
  });

  it('disables an endpoint failing for longer than the configured span and tells the tenant', async () => {
    const clock = new ManualClock();
    const rig = await manualRig(clock, { disableAfterMs: 3_600_000 });
    const tenant = uniqueName('hook');
    const receiver = await httpStub(() => ({ status: 500 }));
    const endpoint = await rig.subscriptions.register({ tenant, url: receiver.url });
    const event = await publishEvent(rig, tenant, 'never lands');
    const sagaId = await deliverySaga(rig, endpoint, event.id);
    // The default schedule: 5 s, 5 m, 30 m, 2 h — the 5th attempt comes 2 h 35 m 5 s after the first.
    for (const [n, wait] of [
      [1, 0],
      [2, 5_000],
      [3, 300_000],
      [4, 1_800_000],
      [5, 7_200_000],
    ] as const) {
      clock.advance(wait);
      await rig.timers.runOnce();
      await eventually(async () => receiver.received.length === n, `attempt ${n}`);
      await eventually(async () => {
        const s = await rig.runtime.engine.get(sagaId);
        return ['compensating', 'failed'].includes(s.status) || (s.attempts === n && s.status === 'running');
      }, `attempt ${n} answered`);
    }
    await rig.timers.runOnce(); // ends the saga if it still has compensations to run (it has none)
    const saga = await rig.runtime.engine.get(sagaId);
    expect(saga.status).to.equal('failed');
    expect(saga.outcome?.error?.code).to.equal('WAGGLE_WEBHOOK_ENDPOINT_DISABLED');
    const stored = await getEndpoint(rig.pool, endpoint.id);
    expect(stored.enabled).to.equal(false);
    expect(stored.disabledReason).to.match(/no successful delivery since/);

    // The notification goes to admission (the manual rig runs none, so it waits in waggle.admission).
    const connection = await amqplib.connect(rig.amqpUrl);
    autoTeardown(() => connection.close().catch(() => undefined));
    const channel = await connection.createChannel();
    let disabled: WaggleEvent | undefined;
    await eventually(async () => {
      const msg = await channel.get('waggle.admission', { noAck: true });
      const e = msg && (JSON.parse(msg.content.toString()) as WaggleEvent);
      if (e && e.type === 'webhook.endpoint.disabled') disabled = e;
      return disabled !== undefined;
    }, 'tenant notified');
    expect(disabled).to.deep.include({ tenantid: tenant, channel: 'system' });
    expect(disabled?.data).to.deep.include({
      endpointId: endpoint.id,
      failingSince: new Date(saga.createdAt).toISOString(),
    });
  });
});
