import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { expect } from 'chai';
import { ChannelCredentialStore } from '../../../src/channels';
import { tenantWithKey, testDb, useTopologyVhost } from '../../support';
import { fixtureBytes, slackHeaders } from '../../fixtures/channels/provider-fixtures';
import { startChannelIngress } from './chat-harness';

type Doc = {
  paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, unknown> }> }>>;
};

describe('channels: OpenAPI description of the channel routes', function () {
  this.timeout(60_000);
  const vhost = useTopologyVhost('chan-api');

  it('documents every channel route, and real answers match the documented schemas', async () => {
    const ingress = await startChannelIngress(vhost.name);
    const doc = (await (await fetch(`${ingress.url}/openapi.json`)).json()) as Doc;
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats(ajv);
    ajv.addSchema({ ...doc, $id: 'openapi.json' });
    const check = async (path: string, method: string, res: Response) => {
      const media = (res.headers.get('content-type') ?? '').split(';')[0]?.trim() as string;
      const response = doc.paths[path]?.[method]?.responses[String(res.status)];
      expect(response?.content?.[media], `${method} ${path} ${res.status} ${media} documented`).to.not.equal(
        undefined,
      );
      const body = media.includes('json') ? await res.json() : await res.text();
      const pointer = `openapi.json#/paths/${path.replace(/\//g, '~1')}/${method}/responses/${res.status}/content/${media.replace(/\//g, '~1')}/schema`;
      const validate = ajv.getSchema(pointer);
      expect(
        validate?.(body),
        `${method} ${path} ${res.status}: ${JSON.stringify(validate?.errors)}`,
      ).to.equal(true);
    };

    const { tenant, token } = await tenantWithKey('chapi');
    await new ChannelCredentialStore(await testDb()).set(tenant, 'slack', { signingSecret: 'api-secret' });
    await new ChannelCredentialStore(await testDb()).set(tenant, 'whatsapp', {
      appSecret: 'a',
      verifyToken: 'v',
    });
    const webchat = '/v1/channels/webchat/messages';
    const post = (url: string, body: string, headers: Record<string, string>) =>
      fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
    await check(
      webchat,
      'post',
      await post(`${ingress.url}${webchat}`, '{"sessionId":"s","text":"hi"}', {
        authorization: `Bearer ${token}`,
      }),
    );
    await check(
      webchat,
      'post',
      await post(`${ingress.url}${webchat}`, '{"sessionId":"s"}', { authorization: `Bearer ${token}` }),
    );
    await check(webchat, 'post', await post(`${ingress.url}${webchat}`, '{}', {}));

    const slack = '/v1/channels/slack/{tenant}';
    const body = fixtureBytes('slack-message-im.json');
    await check(
      slack,
      'post',
      await post(
        `${ingress.url}/v1/channels/slack/${tenant}`,
        body.toString(),
        slackHeaders('api-secret', body),
      ),
    );
    await check(
      slack,
      'post',
      await post(`${ingress.url}/v1/channels/slack/${tenant}`, body.toString(), slackHeaders('wrong', body)),
    );
    await check(
      '/v1/channels/telegram/{tenant}',
      'post',
      await post(`${ingress.url}/v1/channels/telegram/${tenant}`, '{}', {}),
    );

    const wa = '/v1/channels/whatsapp/{tenant}';
    await check(
      wa,
      'get',
      await fetch(
        `${ingress.url}/v1/channels/whatsapp/${tenant}?hub.mode=subscribe&hub.verify_token=v&hub.challenge=42`,
      ),
    );
    await check(
      wa,
      'get',
      await fetch(
        `${ingress.url}/v1/channels/whatsapp/${tenant}?hub.mode=subscribe&hub.verify_token=x&hub.challenge=42`,
      ),
    );

    const stream = '/v1/sessions/{id}/stream';
    await check(stream, 'get', await fetch(`${ingress.url}/v1/sessions/s/stream`));
    await check(
      stream,
      'get',
      await fetch(`${ingress.url}/v1/sessions/s/stream`, {
        headers: { authorization: `Bearer ${token}`, 'last-event-id': 'x' },
      }),
    );
  });
});
