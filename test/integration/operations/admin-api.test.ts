import { expect } from 'chai';
import { SagaEngine, defineSaga, waitFor } from '../../../src/saga';
import { uniqueName } from '../../support';
import { cleanupSagas, testPool } from '../saga/saga-harness';
import { admin, drainIds, numberedEvent, opsRig } from './ops-rig';

describe('operations: admin API', function () {
  this.timeout(30_000);

  it('answers 401 without the admin token, with a wrong one, and while none is configured', async () => {
    const rig = await opsRig();
    expect((await admin(rig, 'GET', '/v1/admin/sagas', undefined, null)).status).to.equal(401);
    const wrong = await admin(rig, 'GET', '/v1/admin/sagas', undefined, 'not-the-token-at-all');
    expect(wrong.status).to.equal(401);
    expect(wrong.body.code).to.equal('ADMIN_TOKEN_INVALID');
    expect((await admin(rig, 'GET', '/v1/admin/sagas?limit=1')).status).to.equal(200);
    const off = await opsRig(null);
    const disabled = await admin(off, 'GET', '/v1/admin/sagas');
    expect([disabled.status, disabled.body.code]).to.deep.equal([401, 'ADMIN_DISABLED']);
  });

  it('lists and shows sagas with their timeline, retries and cancels them', async () => {
    const rig = await opsRig();
    const type = uniqueName('opsaga');
    const pool = await testPool();
    cleanupSagas(pool, type);
    const engine = new SagaEngine({ pool }).register(
      defineSaga({
        type,
        steps: [{ name: 'hold', run: () => waitFor('never.comes'), compensate: () => undefined }],
      }),
    );
    const { id } = await engine.start({ type, tenant: 'opsco', input: { n: 1 } });
    await engine.advance(id);

    const list = await admin(rig, 'GET', `/v1/admin/sagas?type=${type}&status=waiting`);
    expect((list.body.sagas as Array<{ id: string }>).map((s) => s.id)).to.deep.equal([id]);
    const bad = await admin(rig, 'GET', '/v1/admin/sagas?status=sleeping');
    expect([bad.status, bad.body.code]).to.deep.equal([400, 'QUERY_INVALID']);
    // Filters the database cannot take are refused with what was expected, not a 500.
    const garbage = await admin(rig, 'GET', '/v1/admin/sagas?before=yesterday-ish');
    expect([garbage.status, garbage.body.code]).to.deep.equal([400, 'QUERY_INVALID']);
    expect(garbage.body.detail).to.equal(
      'before: "yesterday-ish" is not an ISO 8601 time such as 2026-12-06T10:00:00Z',
    );
    const nul = await admin(rig, 'GET', '/v1/admin/sagas?tenant=a%00b');
    expect([nul.status, nul.body.code, nul.body.detail]).to.deep.equal([
      400,
      'QUERY_INVALID',
      'tenant: contains a NUL character (%00)',
    ]);
    const paged = await admin(rig, 'GET', `/v1/admin/sagas?type=${type}&before=2000-01-01T00:00:00Z`);
    expect(paged.body.sagas).to.deep.equal([]);

    const shown = await admin(rig, 'GET', `/v1/admin/sagas/${id}`);
    expect(shown.body.saga).to.deep.include({
      id,
      status: 'waiting',
      step: 'hold',
      waitingFor: ['never.comes'],
    });
    expect((shown.body.timeline as Array<{ kind: string }>).map((e) => e.kind)).to.deep.equal([
      'started',
      'step-started',
      'waiting',
    ]);
    expect((await admin(rig, 'GET', '/v1/admin/sagas/00000000-0000-0000-0000-000000000000')).status).to.equal(
      404,
    );

    const retried = await admin(rig, 'POST', `/v1/admin/sagas/${id}/retry`);
    expect((retried.body.saga as { status: string }).status).to.equal('running');
    await engine.advance(id);
    const cancelled = await admin(rig, 'POST', `/v1/admin/sagas/${id}/cancel`, { reason: 'testing' });
    expect((cancelled.body.saga as { status: string }).status).to.equal('compensating');
    await engine.advance(id);
    expect((await engine.get(id)).status).to.equal('cancelled');
    const again = await admin(rig, 'POST', `/v1/admin/sagas/${id}/cancel`);
    expect([again.status, again.body.code]).to.deep.equal([409, 'SAGA_STATE']);
  });

  it('groups parked messages by queue and error code, replays a filtered set in order, purges with confirmation', async () => {
    const rig = await opsRig();
    const events = Array.from({ length: 8 }, (_, i) => numberedEvent('opsco', i + 1));
    for (const [i, e] of events.entries()) {
      await rig.park('tool.calls', e, i % 2 === 0 ? 'WAGGLE_TOOL_UNAVAILABLE' : 'WAGGLE_TOOL_REFUSED');
    }
    await rig.park('webhook.deliveries', numberedEvent('opsco', 99), 'WAGGLE_WEBHOOK_ATTEMPT_FAILED');

    const overview = await admin(rig, 'GET', '/v1/admin/parked');
    expect(overview.body.groups).to.deep.include.members([
      {
        parkedQueue: 'tool.calls.parked',
        originalQueue: 'tool.calls',
        errorCode: 'WAGGLE_TOOL_UNAVAILABLE',
        count: 4,
      },
      {
        parkedQueue: 'tool.calls.parked',
        originalQueue: 'tool.calls',
        errorCode: 'WAGGLE_TOOL_REFUSED',
        count: 4,
      },
      {
        parkedQueue: 'webhook.deliveries.parked',
        originalQueue: 'webhook.deliveries',
        errorCode: 'WAGGLE_WEBHOOK_ATTEMPT_FAILED',
        count: 1,
      },
    ]);
    const listed = await admin(
      rig,
      'GET',
      '/v1/admin/parked/tool.calls.parked?errorCode=WAGGLE_TOOL_REFUSED',
    );
    const refused = listed.body.messages as Array<{
      messageId: string;
      attempts: number;
      errorMessage: string;
    }>;
    expect(refused.map((m) => m.messageId)).to.deep.equal([1, 3, 5, 7].map((i) => events[i]?.id));
    expect(refused[0]).to.deep.include({ attempts: 3, errorMessage: 'failed with WAGGLE_TOOL_REFUSED' });

    const one = await admin(rig, 'POST', '/v1/admin/parked/tool.calls.parked/replay', {
      messageId: events[2]?.id,
    });
    expect(one.body).to.deep.include({ replayed: 1, kept: 7 });
    const some = await admin(rig, 'POST', '/v1/admin/parked/tool.calls.parked/replay', {
      errorCode: 'WAGGLE_TOOL_UNAVAILABLE',
    });
    expect(some.body).to.deep.include({ replayed: 3, kept: 4 });
    // Back in their original queue, in the order they were parked.
    expect(await drainIds(rig.amqpUrl, 'tool.calls')).to.deep.equal([2, 0, 4, 6].map((i) => events[i]?.id));

    const unconfirmed = await admin(rig, 'DELETE', '/v1/admin/parked/tool.calls.parked');
    expect([unconfirmed.status, unconfirmed.body.code]).to.deep.equal([400, 'CONFIRMATION_REQUIRED']);
    const purged = await admin(rig, 'DELETE', '/v1/admin/parked/tool.calls.parked?confirm=tool.calls.parked');
    expect(purged.body).to.deep.include({ purged: 4 });
    const depths = (await admin(rig, 'GET', '/v1/admin/parked')).body.queues as Array<{
      queue: string;
      messages: number;
    }>;
    expect(depths.find((d) => d.queue === 'tool.calls.parked')?.messages).to.equal(0);
    expect(depths.find((d) => d.queue === 'webhook.deliveries.parked')?.messages).to.equal(1);
    expect((await admin(rig, 'POST', '/v1/admin/parked/nope.parked/replay', {})).status).to.equal(404);
  });

  it('registers webhook endpoints and tools for tenants', async () => {
    const rig = await opsRig();
    const tenant = uniqueName('opst');
    const bad = await admin(rig, 'POST', '/v1/admin/webhooks/endpoints', {
      tenant,
      url: 'ftp://x',
      eventTypes: ['Bad..'],
    });
    expect(bad.status).to.equal(400);
    expect(bad.body.problems).to.have.length(2);
    const created = await admin(rig, 'POST', '/v1/admin/webhooks/endpoints', {
      tenant,
      url: 'https://hooks.example/in',
      eventTypes: ['message.*'],
    });
    expect(created.status).to.equal(201);
    const endpoint = created.body.endpoint as { id: string; secret: string };
    expect(endpoint.secret).to.match(/^whsec_/);
    const listed = await admin(rig, 'GET', `/v1/admin/webhooks/endpoints?tenant=${tenant}`);
    expect(listed.body.endpoints).to.have.length(1);
    expect(listed.body.endpoints as unknown[]).to.not.have.nested.property('[0].secret');
    const rotated = await admin(rig, 'POST', `/v1/admin/webhooks/endpoints/${endpoint.id}/rotate-secret`);
    expect((rotated.body.endpoint as { secret: string }).secret).to.not.equal(endpoint.secret);
    expect((await admin(rig, 'DELETE', `/v1/admin/webhooks/endpoints/${endpoint.id}`)).status).to.equal(204);
    expect((await admin(rig, 'GET', `/v1/admin/webhooks/endpoints/${endpoint.id}`)).status).to.equal(404);

    const tool = await admin(rig, 'PUT', `/v1/admin/tools/${tenant}/lookup`, {
      url: 'https://tools.example/lookup',
      timeout: '3s',
    });
    expect(tool.body.tool).to.deep.include({ tenant, name: 'lookup', timeoutMs: 3_000, mode: 'sync' });
    const tools = await admin(rig, 'GET', `/v1/admin/tools?tenant=${tenant}`);
    expect(
      (tools.body.tools as Array<{ name: string; tenant: string }>).filter((t) => t.tenant === tenant),
    ).to.have.length(1);
    expect((await admin(rig, 'DELETE', `/v1/admin/tools/${tenant}/lookup`)).status).to.equal(204);
    expect((await admin(rig, 'PUT', `/v1/admin/tools/${tenant}/x`, { url: 'nope' })).status).to.equal(400);
  });
});
