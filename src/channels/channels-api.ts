import { objectSchema, problemResponse, textResponse, type OpenApiFragment } from '../http';

const tenantParam = {
  name: 'tenant',
  in: 'path',
  required: true,
  schema: { type: 'string', pattern: '^[a-z0-9-]{1,63}$' },
  description: 'The tenant whose provider credentials verify the webhook.',
};

const webhookResult = {
  description: 'Verified and handled: messages admitted (deduplicated by provider message id)',
  content: { 'application/json': { schema: { $ref: '#/components/schemas/ChannelWebhookResult' } } },
};

// Provider webhooks carry no waggle key: each is verified with the tenant's stored secret instead, so the
// operation has no OpenAPI security requirement and answers 401 for a signature that does not verify.
function providerWebhook(summary: string, signature: string, handshake?: string): Record<string, unknown> {
  return {
    post: {
      summary,
      description: `Verified with ${signature} before the payload is read. Messages become \`message.received\` events admitted in payload order; receipts, edits and bot messages are acknowledged and ignored.`,
      tags: ['channels'],
      security: [],
      parameters: [tenantParam],
      requestBody: { required: true, content: { 'application/json': { schema: { type: 'object' } } } },
      responses: {
        '200': handshake
          ? {
              description: `${webhookResult.description}; for ${handshake}, the challenge as text/plain`,
              content: { ...webhookResult.content, 'text/plain': { schema: { type: 'string' } } },
            }
          : webhookResult,
        '400': problemResponse('The payload is not the provider’s documented JSON'),
        '401': problemResponse('Signature missing, wrong or (Slack) older than 5 minutes: nothing admitted'),
        '403': problemResponse('The tenant is disabled or unknown'),
        '404': problemResponse('Not a tenant id, or no credentials stored for this tenant and channel'),
        '413': problemResponse('Body larger than WAGGLE_INGRESS_BODY_LIMIT'),
        '415': problemResponse('The body is compressed (Content-Encoding); send it uncompressed'),
        '503': problemResponse('Broker or database unavailable; the provider retries', 503),
      },
    },
  };
}

/** OpenAPI description of the channel webhooks, web chat and the SSE session stream. */
export const CHANNELS_API: OpenApiFragment = {
  schemas: {
    WebchatMessage: objectSchema(['sessionId', 'text'], {
      sessionId: { type: 'string', pattern: '^[A-Za-z0-9._:-]{1,200}$' },
      text: { type: 'string', minLength: 1, maxLength: 16000 },
      id: {
        type: 'string',
        description: 'Optional client-chosen event id: a retry with it is deduplicated.',
      },
      sender: {
        type: 'object',
        required: ['id'],
        properties: { id: { type: 'string' }, name: { type: 'string' } },
      },
    }),
    WebchatAccepted: objectSchema(['id', 'sequence', 'sessionId', 'duplicate', 'stream'], {
      id: { type: 'string' },
      sequence: { type: 'integer', minimum: 1 },
      sessionId: { type: 'string' },
      duplicate: { type: 'boolean' },
      stream: { type: 'string', description: 'Where the replies stream (SSE).' },
    }),
    ChannelWebhookResult: objectSchema(['admitted', 'duplicates', 'ignored', 'refused'], {
      admitted: { type: 'integer', minimum: 0 },
      duplicates: { type: 'integer', minimum: 0 },
      ignored: {
        type: 'integer',
        minimum: 0,
        description: 'Receipts, edits, bot messages, non-text messages.',
      },
      refused: {
        type: 'array',
        items: {
          type: 'object',
          required: ['id', 'detail'],
          properties: { id: { type: 'string' }, detail: { type: 'string' } },
        },
      },
    }),
  },
  paths: {
    '/v1/channels/webchat/messages': {
      post: {
        summary: 'Send a web chat message',
        description:
          'Admits a `message.received` event on channel `webchat`; the reply streams on the session’s SSE stream.',
        tags: ['channels'],
        security: [{ tenantKey: [] }],
        requestBody: {
          required: true,
          content: { 'application/json': { schema: { $ref: '#/components/schemas/WebchatMessage' } } },
        },
        responses: {
          '202': {
            description: 'Admitted',
            content: { 'application/json': { schema: { $ref: '#/components/schemas/WebchatAccepted' } } },
          },
          '200': {
            description: 'Already admitted (same id)',
            content: { 'application/json': { schema: { $ref: '#/components/schemas/WebchatAccepted' } } },
          },
          '400': problemResponse(
            'The body is not UTF-8 JSON {sessionId, text}, holds text that cannot be stored, or the event is invalid',
          ),
          '401': problemResponse('Missing, unknown or revoked API key'),
          '403': problemResponse('The tenant is disabled'),
          '413': problemResponse('Body larger than WAGGLE_INGRESS_BODY_LIMIT'),
          '415': problemResponse('The body is compressed (Content-Encoding); send it uncompressed'),
          '503': problemResponse(
            'Broker or database unavailable, or the key could not be checked; retry after Retry-After',
            503,
          ),
        },
      },
    },
    '/v1/channels/whatsapp/{tenant}': {
      get: {
        summary: 'WhatsApp webhook verification (hub.challenge)',
        description: 'Meta’s subscription handshake, checked against the tenant’s stored verify token.',
        tags: ['channels'],
        security: [],
        parameters: [
          tenantParam,
          { name: 'hub.mode', in: 'query', required: true, schema: { const: 'subscribe' } },
          { name: 'hub.verify_token', in: 'query', required: true, schema: { type: 'string' } },
          { name: 'hub.challenge', in: 'query', required: true, schema: { type: 'string' } },
        ],
        responses: {
          '200': textResponse('The challenge, echoed'),
          '403': problemResponse('Wrong mode or verify token'),
          '404': problemResponse('Not a tenant id, or no WhatsApp credentials for this tenant'),
        },
      },
      ...providerWebhook(
        'WhatsApp Cloud API webhook',
        'X-Hub-Signature-256 (HMAC-SHA256 of the body with the app secret)',
      ),
    },
    '/v1/channels/slack/{tenant}': providerWebhook(
      'Slack Events API request URL (answers url_verification)',
      'X-Slack-Signature v0 over "v0:<X-Slack-Request-Timestamp>:<body>" with the signing secret',
      'url_verification',
    ),
    '/v1/channels/telegram/{tenant}': providerWebhook(
      'Telegram Bot API webhook (one Update)',
      'X-Telegram-Bot-Api-Secret-Token (the secret_token given to setWebhook)',
    ),
    '/v1/sessions/{id}/stream': {
      get: {
        summary: 'Stream a session’s replies (Server-Sent Events)',
        description:
          'Each outbound event of the session as `id: <sequence>`, `event: <type>`, `data: <CloudEvent JSON>`; resumes after `Last-Event-ID`. Between them, live only and with no `id:`: `event: message.delta` (`data.turnId`, `data.index`, `data.text`: reply text as the agent makes it) and `event: message.superseded` (`data.turnId`: drop that turn’s text); these are never replayed. Comment lines every WAGGLE_SSE_HEARTBEAT. A browser EventSource may pass the key as `?access_token=`.',
        tags: ['channels'],
        security: [{ tenantKey: [] }],
        parameters: [
          {
            name: 'id',
            in: 'path',
            required: true,
            schema: { type: 'string', pattern: '^[A-Za-z0-9._:-]{1,200}$' },
          },
          {
            name: 'Last-Event-ID',
            in: 'header',
            required: false,
            schema: { type: 'string', pattern: '^\\d+$' },
          },
          {
            name: 'lastEventId',
            in: 'query',
            required: false,
            schema: { type: 'string', pattern: '^\\d+$' },
          },
          { name: 'access_token', in: 'query', required: false, schema: { type: 'string' } },
        ],
        responses: {
          '200': textResponse('The event stream', 'text/event-stream'),
          '400': problemResponse('Bad session id or Last-Event-ID'),
          '401': problemResponse('Missing, unknown or revoked API key'),
          '403': problemResponse('The tenant is disabled'),
          '503': problemResponse(
            'Streams are not available yet (topology not applied), the process is stopping, or the key ' +
              'could not be checked',
            503,
          ),
        },
      },
    },
  },
};
