import { expect } from 'chai';
import {
  WebhookSecretInvalidError,
  WebhookSignatureError,
  generateSecret,
  secretKey,
  sign,
  signedHeaders,
  verify,
} from '../../../src/webhooks';
import { verifyStandardWebhook } from '../../support';

describe('webhooks: Standard Webhooks signatures', () => {
  const secret = `whsec_${Buffer.from('0123456789abcdef0123456789abcdef').toString('base64')}`;
  const body =
    '{"type":"contact.created","timestamp":"2022-11-03T20:26:10.344522Z","data":{"id":"1f81eb52"}}';
  const now = 1_674_087_231;

  it('makes headers that a verifier written from the specification accepts', () => {
    const headers = signedHeaders(secret, 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W', now, body);
    expect(headers['webhook-id']).to.equal('msg_2KWPBgLlAfxdpx2AI54pPJ85f4W');
    expect(headers['webhook-timestamp']).to.equal(String(now));
    expect(headers['webhook-signature']).to.match(/^v1,[A-Za-z0-9+/]{43}=$/);
    expect(verifyStandardWebhook(secret, headers, body, { nowSeconds: now })).to.deep.equal({
      valid: true,
      id: 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W',
    });
  });

  it('is rejected by the spec verifier when body, secret, id or timestamp differ', () => {
    const headers = signedHeaders(secret, 'msg_1', now, body);
    const other = generateSecret();
    expect(verifyStandardWebhook(secret, headers, `${body} `, { nowSeconds: now }).valid).to.equal(false);
    expect(verifyStandardWebhook(other, headers, body, { nowSeconds: now }).valid).to.equal(false);
    expect(
      verifyStandardWebhook(secret, { ...headers, 'webhook-id': 'msg_2' }, body, { nowSeconds: now }).valid,
    ).to.equal(false);
    expect(
      verifyStandardWebhook(secret, { ...headers, 'webhook-timestamp': String(now + 1) }, body, {
        nowSeconds: now,
      }).valid,
    ).to.equal(false);
    expect(verifyStandardWebhook(secret, headers, body, { nowSeconds: now + 301 })).to.deep.include({
      valid: false,
      reason: 'timestamp outside tolerance',
    });
  });

  it('signs with every secret during a rotation; one match is enough', () => {
    const old = generateSecret(24);
    const headers = signedHeaders([secret, old], 'msg_rot', now, body);
    expect(headers['webhook-signature'].split(' ')).to.have.length(2);
    expect(verifyStandardWebhook(old, headers, body, { nowSeconds: now }).valid).to.equal(true);
    expect(verifyStandardWebhook(secret, headers, body, { nowSeconds: now }).valid).to.equal(true);
  });

  it('verifies incoming callbacks the same way, in constant time, within a tolerance', () => {
    const headers = signedHeaders(secret, 'msg_cb', now, body);
    expect(verify(secret, headers, body, { now: new Date(now * 1000) })).to.deep.equal({
      id: 'msg_cb',
      timestamp: now,
    });
    expect(() => verify(secret, headers, body + 'x', { now: new Date(now * 1000) })).to.throw(
      WebhookSignatureError,
    );
    expect(() => verify(secret, headers, body, { now: new Date((now + 600) * 1000) })).to.throw(/300 s/);
    expect(() => verify(secret, { 'webhook-id': 'x' }, body)).to.throw(/missing/);
  });

  it('generates whsec_ secrets of 32 random bytes and refuses malformed ones', () => {
    const s = generateSecret();
    expect(s).to.match(/^whsec_[A-Za-z0-9+/]+=*$/);
    expect(secretKey(s)).to.have.length(32);
    expect(() => secretKey('abc')).to.throw(WebhookSecretInvalidError);
    expect(() => secretKey(`whsec_${Buffer.alloc(8).toString('base64')}`)).to.throw(/8 bytes/);
    expect(() => signedHeaders(s, 'a.b', now, body)).to.throw(/must not contain/);
    expect(sign(s, 'id', now, Buffer.from(body))).to.equal(sign(s, 'id', now, body));
  });
});
