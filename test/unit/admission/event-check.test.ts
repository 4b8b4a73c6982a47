import { expect } from 'chai';
import {
  checkEvent,
  EventInvalidError,
  EventSchemaError,
  EventSchemas,
  TenantMismatchError,
} from '../../../src/admission';
import { isTraceparent } from '../../../src/envelope';
import { REPO_ROOT } from '../../support';

const schemas = EventSchemas.load(`${REPO_ROOT}/topology/schemas`);
const base = {
  specversion: '1.0',
  id: 'e-1',
  source: '/t',
  type: 'message.received',
  tenantid: 'acme',
  channel: 'webchat',
  sessionid: 's',
  data: { text: 'hi' },
};

function violations(fn: () => unknown): Array<{ pointer: string; detail: string }> {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(EventInvalidError);
    return (err as EventInvalidError).violations;
  }
  throw new Error('expected EventInvalidError');
}

describe('admission: checkEvent', () => {
  it('ships schemas for the event types the platform’s flows use', () => {
    expect(schemas.types()).to.include.members([
      'message.received',
      'message.reply',
      'message.delta',
      'message.superseded',
      'message.sent',
      'tool.call.requested',
      'tool.call.completed',
      'tool.call.failed',
      'webhook.endpoint.disabled',
      'session.started',
      'session.ended',
    ]);
  });

  it('returns the event normalized: correlation id, traceparent and time filled in', () => {
    const event = checkEvent(base, { tenant: 'acme', correlationId: 'c-9' }, schemas);
    expect(event).to.include({ correlationid: 'c-9', id: 'e-1' });
    expect(isTraceparent(event.traceparent as string)).to.equal(true);
    expect(Number.isNaN(Date.parse(event.time as string))).to.equal(false);
    expect(
      checkEvent({ ...base, correlationid: 'own' }, { tenant: 'acme', correlationId: 'c-9' }, schemas)
        .correlationid,
    ).to.equal('own');
  });

  it('fills tenantid from the caller only when asked, and refuses another tenant', () => {
    const { tenantid: _t, ...withoutTenant } = base;
    expect(checkEvent(withoutTenant, { tenant: 'acme', fillTenant: true }, schemas).tenantid).to.equal(
      'acme',
    );
    expect(violations(() => checkEvent(withoutTenant, { tenant: 'acme' }, schemas))).to.deep.equal([
      { pointer: '/tenantid', detail: 'is required' },
    ]);
    expect(() => checkEvent(base, { tenant: 'globex' }, schemas)).to.throw(
      TenantMismatchError,
      /"globex".*"acme"/,
    );
  });

  it('lists envelope violations with JSON pointers, and data violations under /data', () => {
    expect(
      violations(() =>
        checkEvent({ ...base, sequence: 3, tenantid: 'a.b', Extra_1: 1 }, { tenant: 'acme' }, schemas),
      ),
    ).to.deep.equal([
      { pointer: '/sequence', detail: 'is assigned by admission (the session’s next number); remove it' },
      {
        pointer: '/Extra_1',
        detail:
          'is not an envelope attribute, and an extension attribute’s name is lowercase letters and digits ' +
          '(CloudEvents); rename or remove it',
      },
      { pointer: '/tenantid', detail: 'must match ^[a-z0-9-]{1,63}$' },
    ]);
    expect(
      violations(() => checkEvent({ ...base, data: { text: '' } }, { tenant: 'acme' }, schemas)),
    ).to.deep.equal([{ pointer: '/data/text', detail: 'must NOT have fewer than 1 characters' }]);
    expect(
      violations(() => checkEvent({ ...base, data: undefined }, { tenant: 'acme' }, schemas)),
    ).to.deep.equal([{ pointer: '/data/text', detail: 'is required' }]);
    expect(violations(() => checkEvent('text', { tenant: 'acme' }, schemas))[0]?.pointer).to.equal('');
  });

  it('accepts an event without data when its type needs none', () => {
    expect(() =>
      checkEvent({ ...base, type: 'session.ended', data: undefined }, { tenant: 'acme' }, schemas),
    ).to.not.throw();
  });

  it('refuses a schema directory with a bad schema, naming the file', () => {
    expect(() => EventSchemas.fromObjects({ 'x.y': { type: 'nonsense' } }, 'topology/schemas')).to.throw(
      EventSchemaError,
      /topology\/schemas\/x\.y\.json/,
    );
    expect(() => EventSchemas.fromObjects({ 'Bad Name': {} })).to.throw(
      EventSchemaError,
      /not an event type name/,
    );
  });
});
