import { randomUUID } from 'node:crypto';
import { generateSecret, signedHeaders } from '../../../../src/webhooks';
import { slackHeaders, whatsappSignature } from '../../../fixtures/channels/provider-fixtures';
import { sampleEvent } from '../../../support';
import { ADMIN_TOKEN, SLACK, TELEGRAM, WHATSAPP, type HostileRig } from './hostile-rig';
import type { Answer } from './raw-http';

/** A place in a body where hostile text can go: `at` in the body, `names` the pointer an answer should name. */
export interface TextSpot {
  at: string;
  names: string;
}

/** What the platform should make of a request whose text cannot be stored. */
export type UnstorableAnswer =
  /** 400 problem+json naming the pointer (every JSON write path). */
  | 'refused'
  /** 207 with the poisoned item (index 1) refused and its neighbours admitted (the batch). */
  | 'item-refused'
  /** 200 with the event listed under `refused`, as the provider contract wants for an event that can never
   * be admitted (a 4xx would make the provider resend it; Telegram would hold back every later update). */
  | 'acknowledged';

/** One HTTP write path that takes outside text, with a valid body and the places hostile input can go. */
export interface WritePath {
  name: string;
  method: 'POST' | 'PUT';
  path: string;
  /** A valid body, fresh ids each call. */
  template(): unknown;
  /** Headers for exactly these bytes (key, signature, media type). */
  headers(body: Buffer): Record<string, string>;
  /** Takes a tenant key or the admin token in Authorization. */
  authenticated: boolean;
  /** String members that may carry a poison. */
  text: TextSpot[];
  /** Objects that take members of any name (a poisoned name names the member). */
  members: string[];
  /** Objects under which any nested value may hang. */
  trees: string[];
  /** Where the body's one event under test sits, when answers speak of it alone (the batch's item). */
  itemPrefix?: string;
  /** Refuses a body that is not UTF-8 (400) / nested deeper than the limit (400). */
  checks: { utf8: boolean; depth: boolean };
  unstorable: UnstorableAnswer;
  /** The largest body it reads. */
  limit: number;
  /** Events this answer says were admitted (so published), and the ids of events it refused. */
  outcome(answer: Answer, body: unknown): { published: number; refused: string[] };
}

const JSON_TYPE = { 'content-type': 'application/json' };
const INGRESS_LIMIT = 262_144;
const ADMIN_LIMIT = 65_536;

const EVENT_TEXT = [
  '/id',
  '/source',
  '/type',
  '/subject',
  '/channel',
  '/sessionid',
  '/tenantid',
  '/correlationid',
  '/time',
  '/dataschema',
  '/datacontenttype',
  '/traceparent',
  '/x-extension',
  '/data/text',
  '/data/sender/id',
  '/data/sender/name',
];

/** Every write path of the rig's process that takes outside text. */
export async function writePaths(rig: HostileRig): Promise<WritePath[]> {
  const tenantKey = { authorization: `Bearer ${rig.token}` };
  const admin = { authorization: `Bearer ${ADMIN_TOKEN}`, ...JSON_TYPE };
  const call = await rig.waitingToolCall();
  const nothing = () => ({ published: 0, refused: [] });
  const fullEvent = () =>
    sampleEvent(rig.tenant, {
      subject: 'hostile input',
      correlationid: randomUUID(),
      time: new Date().toISOString(),
      dataschema: 'https://schemas.example.test/message.json',
      datacontenttype: 'application/json',
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      data: { text: 'hello', sender: { id: 'u-1', name: 'Ann' } },
    });
  const json = (spots: string[]): TextSpot[] => spots.map((at) => ({ at, names: at }));
  const adminPath = (
    name: string,
    method: 'POST' | 'PUT',
    path: string,
    template: () => Record<string, unknown>,
    text: string[],
    members: string[] = [''],
    trees: string[] = [''],
  ): WritePath => ({
    name,
    method,
    path,
    template,
    headers: () => admin,
    authenticated: true,
    text: json(text),
    members,
    trees,
    checks: { utf8: true, depth: true },
    unstorable: 'refused',
    limit: ADMIN_LIMIT,
    outcome: nothing,
  });

  return [
    {
      name: 'events',
      method: 'POST',
      path: '/v1/events',
      template: fullEvent,
      headers: () => ({ ...tenantKey, ...JSON_TYPE }),
      authenticated: true,
      text: json(EVENT_TEXT),
      members: ['', '/data'],
      trees: ['/data'],
      checks: { utf8: true, depth: true },
      unstorable: 'refused',
      limit: INGRESS_LIMIT,
      outcome: (answer, body) =>
        answer.status === 202
          ? { published: 1, refused: [] }
          : { published: 0, refused: answer.status >= 400 ? idsOf([body]) : [] },
    },
    {
      name: 'events:batch',
      method: 'POST',
      path: '/v1/events:batch',
      template: () => [fullEvent(), fullEvent(), fullEvent()],
      headers: () => ({ ...tenantKey, 'content-type': 'application/cloudevents-batch+json' }),
      authenticated: true,
      text: EVENT_TEXT.map((at) => ({ at: `/1${at}`, names: at })),
      members: ['/1', '/1/data'],
      trees: ['/1/data'],
      itemPrefix: '/1',
      checks: { utf8: true, depth: true },
      unstorable: 'item-refused',
      limit: INGRESS_LIMIT,
      outcome: (answer, body) => {
        const results = answer.json?.results as Array<{ status: number; id?: string }> | undefined;
        if (!results) return { published: 0, refused: answer.status >= 400 ? idsOf(body) : [] };
        return {
          published: results.filter((r) => r.status === 202).length,
          refused: results.filter((r) => r.status >= 400 && r.id).map((r) => r.id as string),
        };
      },
    },
    {
      name: 'webchat',
      method: 'POST',
      path: '/v1/channels/webchat/messages',
      template: () => ({ sessionId: 's-web', text: 'hello', sender: { id: 'u-1', name: 'Ann' } }),
      headers: () => ({ ...tenantKey, ...JSON_TYPE }),
      authenticated: true,
      text: json(['/sessionId', '/text', '/sender/id', '/sender/name', '/id']),
      members: ['', '/sender'],
      trees: [''],
      checks: { utf8: true, depth: false },
      unstorable: 'refused',
      limit: INGRESS_LIMIT,
      outcome: (answer) => ({ published: answer.status === 202 ? 1 : 0, refused: [] }),
    },
    providerPath(
      'whatsapp',
      rig,
      whatsappMessage,
      (body) => ({
        ...JSON_TYPE,
        'x-hub-signature-256': whatsappSignature(WHATSAPP.appSecret, body),
      }),
      [
        { at: '/entry/0/changes/0/value/messages/0/text/body', names: '/data/text' },
        { at: '/entry/0/changes/0/value/contacts/0/profile/name', names: '/data/sender/name' },
      ],
    ),
    providerPath(
      'slack',
      rig,
      slackMessage,
      (body) => ({ ...JSON_TYPE, ...slackHeaders(SLACK.signingSecret, body) }),
      [{ at: '/event/text', names: '/data/text' }],
    ),
    providerPath(
      'telegram',
      rig,
      telegramMessage,
      () => ({
        ...JSON_TYPE,
        'x-telegram-bot-api-secret-token': TELEGRAM.secretToken,
      }),
      [
        { at: '/message/text', names: '/data/text' },
        { at: '/message/from/first_name', names: '/data/sender/name' },
      ],
    ),
    {
      name: 'tool callback',
      method: 'POST',
      path: `/v1/callbacks/${call.sagaId}`,
      template: () => ({ status: 'succeeded', result: { text: 'done', items: [1, 2] } }),
      headers: (body) => ({
        ...JSON_TYPE,
        ...signedHeaders(call.secret, `cb-${randomUUID()}`, Math.floor(Date.now() / 1000), body),
      }),
      authenticated: false,
      text: json(['/error', '/result/text']),
      members: ['', '/result'],
      trees: ['/result'],
      checks: { utf8: true, depth: true },
      unstorable: 'refused',
      limit: INGRESS_LIMIT,
      outcome: nothing,
    },
    {
      name: 'webhook endpoint',
      method: 'POST',
      path: '/v1/webhooks/endpoints',
      template: () => ({
        url: 'https://hooks.example.test/in',
        description: 'orders',
        eventTypes: ['message.*'],
      }),
      headers: () => ({ ...tenantKey, ...JSON_TYPE }),
      authenticated: true,
      text: json(['/url', '/description', '/eventTypes/0', '/secret']),
      members: [''],
      trees: [''],
      checks: { utf8: true, depth: true },
      unstorable: 'refused',
      limit: ADMIN_LIMIT,
      outcome: nothing,
    },
    adminPath(
      'admin tool',
      'PUT',
      `/v1/admin/tools/${rig.tenant}/echo`,
      () => ({
        url: 'https://tools.example.test/echo',
        description: 'echoes',
        inputSchema: { type: 'object', description: 'arguments', properties: {} },
      }),
      ['/url', '/description', '/compensateUrl', '/inputSchema/description'],
      ['', '/inputSchema'],
      ['/inputSchema/properties'],
    ),
    adminPath(
      'admin webhook endpoint',
      'POST',
      '/v1/admin/webhooks/endpoints',
      () => ({ tenant: rig.tenant, url: 'https://hooks.example.test/ops', description: 'ops' }),
      ['/tenant', '/url', '/description'],
    ),
    adminPath(
      'admin saga cancel',
      'POST',
      `/v1/admin/sagas/${randomUUID()}/cancel`,
      () => ({ reason: 'stop' }),
      ['/reason'],
    ),
    adminPath(
      'admin parked replay',
      'POST',
      '/v1/admin/parked/outbound.parked/replay',
      () => ({ messageId: 'm-1', errorCode: 'E', originalQueue: 'outbound' }),
      ['/messageId', '/errorCode', '/originalQueue'],
    ),
    adminPath(
      'admin secret rotation',
      'POST',
      `/v1/admin/webhooks/endpoints/${randomUUID()}/rotate-secret`,
      () => ({ secret: generateSecret() }),
      ['/secret'],
    ),
    {
      ...adminPath(
        'demo tool',
        'POST',
        '/v1/demo/tools/weather',
        () => ({ arguments: { place: 'Paris' } }),
        ['/arguments/place'],
        ['', '/arguments'],
        ['/arguments'],
      ),
      authenticated: false,
    },
  ];
}

function providerPath(
  name: 'whatsapp' | 'slack' | 'telegram',
  rig: HostileRig,
  template: () => Record<string, unknown>,
  headers: (body: Buffer) => Record<string, string>,
  text: TextSpot[],
): WritePath {
  return {
    name,
    method: 'POST',
    path: `/v1/channels/${name}/${rig.tenant}`,
    template,
    headers,
    authenticated: false,
    text,
    members: [''],
    trees: [''],
    checks: { utf8: false, depth: false },
    unstorable: 'acknowledged',
    limit: INGRESS_LIMIT,
    outcome: (answer) => ({
      published: answer.status === 200 ? Number(answer.json?.admitted ?? 0) : 0,
      refused: [],
    }),
  };
}

function idsOf(body: unknown): string[] {
  if (!Array.isArray(body)) return [];
  return body.flatMap((e) =>
    typeof (e as { id?: unknown } | null)?.id === 'string' ? [(e as { id: string }).id] : [],
  );
}

function whatsappMessage(): Record<string, unknown> {
  return {
    object: 'whatsapp_business_account',
    entry: [
      {
        id: '102290129340398',
        changes: [
          {
            field: 'messages',
            value: {
              messaging_product: 'whatsapp',
              metadata: { display_phone_number: '15550783881', phone_number_id: '106540352242922' },
              contacts: [{ profile: { name: 'Sheena Nelson' }, wa_id: '16505551234' }],
              messages: [
                {
                  from: '16505551234',
                  id: `wamid.${randomUUID()}`,
                  timestamp: String(Math.floor(Date.now() / 1000)),
                  text: { body: 'Does it come in another color?' },
                  type: 'text',
                },
              ],
            },
          },
        ],
      },
    ],
  };
}

function slackMessage(): Record<string, unknown> {
  const ts = `${Math.floor(Date.now() / 1000)}.${String(Math.floor(Math.random() * 1e6)).padStart(6, '0')}`;
  return {
    token: 'XXYYZZ',
    team_id: 'T123ABC456',
    api_app_id: 'A123ABC456',
    event: {
      type: 'message',
      channel: 'D024BE91L',
      user: 'U2147483697',
      text: 'Hello hello can you hear me?',
      ts,
      event_ts: ts,
      channel_type: 'im',
    },
    type: 'event_callback',
    event_id: `Ev${randomUUID().replace(/-/g, '').slice(0, 10)}`,
    event_time: Math.floor(Date.now() / 1000),
  };
}

function telegramMessage(): Record<string, unknown> {
  const id = Math.floor(Math.random() * 2 ** 31);
  return {
    update_id: id,
    message: {
      message_id: id,
      from: { id: 1111111, is_bot: false, first_name: 'Test', username: 'Test', language_code: 'en' },
      chat: { id: 1111111, first_name: 'Test', username: 'Test', type: 'private' },
      date: Math.floor(Date.now() / 1000),
      text: 'hello there',
    },
  };
}
