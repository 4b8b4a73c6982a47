import { problemResponse, type OpenApiFragment } from '../http';

/** The body of `PUT /v1/admin/agents/{tenant}`: validated with this schema, documented with it too. */
export const AGENT_BODY_SCHEMA = {
  type: 'object',
  required: ['url'],
  additionalProperties: false,
  properties: {
    url: { type: 'string', description: 'Where turns are POSTed: an http:// or https:// URL.' },
    secret: {
      type: 'string',
      description:
        'whsec_ + base64 of 24–64 bytes, signing the turns. A new agent without one gets a generated secret ' +
        '(in this answer only); a replaced agent keeps its own.',
    },
    timeout: {
      type: 'string',
      description: 'Longest one answer may take, streaming included: a duration from 1s to 15m.',
      default: '30s',
    },
  },
} as const;

const AGENT_SCHEMA = {
  type: 'object',
  required: ['tenant', 'url', 'timeout', 'createdAt', 'updatedAt'],
  properties: {
    tenant: { type: 'string' },
    url: { type: 'string' },
    timeout: { type: 'string', description: 'e.g. 30s' },
    createdAt: { type: 'string', format: 'date-time' },
    updatedAt: { type: 'string', format: 'date-time' },
    secret: { type: 'string', description: 'Only in the answer that generated it; never listed.' },
  },
};

const json = (description: string, schema: Record<string, unknown>) => ({
  description,
  content: { 'application/json': { schema } },
});
const agentAnswer = (description: string) =>
  json(description, {
    type: 'object',
    required: ['agent'],
    properties: { agent: { $ref: '#/components/schemas/Agent' } },
  });
const tenantParam = {
  name: 'tenant',
  in: 'path',
  required: true,
  description: 'Tenant id',
  schema: { type: 'string' },
};
const common = {
  tags: ['admin'],
  security: [{ adminToken: [] }],
};
const unauthorized = problemResponse('Missing or wrong admin token, or WAGGLE_ADMIN_TOKEN unset');
const notFound = problemResponse('The tenant has no agent of its own');

/** OpenAPI description of the agent registry under /v1/admin/agents. */
export function agentAdminApi(): OpenApiFragment {
  return {
    securitySchemes: {
      adminToken: { type: 'http', scheme: 'bearer', description: 'WAGGLE_ADMIN_TOKEN' },
    },
    schemas: { Agent: AGENT_SCHEMA },
    paths: {
      '/v1/admin/agents': {
        get: {
          ...common,
          operationId: 'listAgents',
          summary: "Tenants' own agents, by tenant (never their secrets)",
          responses: {
            '200': json('The registrations', {
              type: 'object',
              required: ['agents'],
              properties: { agents: { type: 'array', items: { $ref: '#/components/schemas/Agent' } } },
            }),
            '401': unauthorized,
          },
        },
      },
      '/v1/admin/agents/{tenant}': {
        get: {
          ...common,
          operationId: 'getAgent',
          summary: "A tenant's own agent (without its secret)",
          parameters: [tenantParam],
          responses: { '200': agentAnswer('The registration'), '401': unauthorized, '404': notFound },
        },
        put: {
          ...common,
          operationId: 'putAgent',
          summary: "Register or replace the HTTP agent that answers a tenant's turns",
          parameters: [tenantParam],
          requestBody: { required: true, content: { 'application/json': { schema: AGENT_BODY_SCHEMA } } },
          responses: {
            '200': agentAnswer('Replaced'),
            '201': agentAnswer('Registered'),
            '400': problemResponse(
              'The body or a field is invalid (each named in errors[].pointer), or there is no such tenant',
            ),
            '401': unauthorized,
            '413': problemResponse('Body larger than 64 KiB'),
          },
        },
        delete: {
          ...common,
          operationId: 'deleteAgent',
          summary: "Remove a tenant's agent: its turns go to WAGGLE_AGENT_URL, or the demo agent",
          parameters: [tenantParam],
          responses: { '204': { description: 'Removed' }, '401': unauthorized, '404': notFound },
        },
      },
    },
  };
}
