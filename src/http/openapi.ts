import Router from '@koa/router';

/** A part of the OpenAPI document: the paths a router serves and the component schemas they use. */
export interface OpenApiFragment {
  paths?: Record<string, Record<string, unknown>>;
  schemas?: Record<string, unknown>;
  securitySchemes?: Record<string, unknown>;
}

const FRAGMENT = Symbol.for('waggle.openapi');

/**
 * Attaches the OpenAPI description of a router's routes to it; `HttpServer.mount` adds it to the served
 * document. This is how a room documents its routes: `http.mount(documented(router, { paths, schemas }))`.
 */
export function documented<R extends Router>(router: R, fragment: OpenApiFragment): R {
  (router as R & { [FRAGMENT]?: OpenApiFragment })[FRAGMENT] = fragment;
  return router;
}

/** The fragment attached by `documented`, if any. */
export function fragmentOf(router: Router): OpenApiFragment | undefined {
  return (router as Router & { [FRAGMENT]?: OpenApiFragment })[FRAGMENT];
}

/** RFC 9457 problem details, as every 4xx/5xx body of waggle's API. */
export const PROBLEM_SCHEMA = {
  type: 'object',
  required: ['type', 'title', 'status', 'detail', 'code'],
  properties: {
    type: { type: 'string', format: 'uri', description: 'Identifies the kind of problem.' },
    title: { type: 'string' },
    status: { type: 'integer', minimum: 400, maximum: 599 },
    detail: { type: 'string', description: 'What went wrong and what to do about it.' },
    code: { type: 'string', description: 'Stable machine-readable code, e.g. EVENT_INVALID.' },
    instance: { type: 'string' },
    errors: {
      type: 'array',
      description: 'For validation problems: every violation with a JSON pointer into the request body.',
      items: {
        type: 'object',
        required: ['pointer', 'detail'],
        properties: { pointer: { type: 'string' }, detail: { type: 'string' } },
      },
    },
  },
  additionalProperties: true,
} as const;

/** A problem+json response object for `responses`, with `Retry-After` where the status implies one. */
export function problemResponse(description: string, status?: number): Record<string, unknown> {
  return {
    description,
    ...(status === 429 || status === 503
      ? {
          headers: {
            'Retry-After': {
              description: 'Seconds to wait before trying again.',
              schema: { type: 'integer', minimum: 1 },
            },
          },
        }
      : {}),
    content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
  };
}

/** A JSON Schema object with its required properties: `{ type: 'object', required, properties }`. */
export function objectSchema(
  required: string[],
  properties: Record<string, unknown>,
): { type: 'object'; required: string[]; properties: Record<string, unknown> } {
  return { type: 'object', required, properties };
}

/** A request body of JSON matching `schema`. */
export function jsonRequestBody(schema: Record<string, unknown>, required = true): Record<string, unknown> {
  return { required, content: { 'application/json': { schema } } };
}

/** A response whose body is text (`text/plain`, or another text type such as `text/event-stream`). */
export function textResponse(description: string, mediaType = 'text/plain'): Record<string, unknown> {
  return { description, content: { [mediaType]: { schema: { type: 'string' } } } };
}

/** The OpenAPI 3.1 document of one HTTP server, assembled from the fragments of the routers it mounts. */
export class OpenApiDocument {
  private readonly paths: Record<string, Record<string, unknown>> = {};
  private readonly schemas: Record<string, unknown> = { Problem: PROBLEM_SCHEMA };
  private readonly securitySchemes: Record<string, unknown> = {};

  /** Merges a fragment; a later fragment may add methods to a path another one declared. */
  add(fragment: OpenApiFragment): void {
    for (const [path, methods] of Object.entries(fragment.paths ?? {})) {
      this.paths[path] = { ...(this.paths[path] ?? {}), ...methods };
    }
    Object.assign(this.schemas, fragment.schemas ?? {});
    Object.assign(this.securitySchemes, fragment.securitySchemes ?? {});
  }

  /** The document as served at GET /openapi.json. */
  toJSON(): Record<string, unknown> {
    return {
      openapi: '3.1.0',
      info: {
        title: 'waggle',
        version: '1',
        description:
          'SmartBeez message platform. Every error body is RFC 9457 application/problem+json with a `detail` ' +
          'that says what to change.',
      },
      jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
      paths: Object.fromEntries(Object.entries(this.paths).sort(([a], [b]) => a.localeCompare(b))),
      components: { schemas: this.schemas, securitySchemes: this.securitySchemes },
    };
  }
}

/** GET /openapi.json for `doc`. */
export function openApiRoutes(doc: OpenApiDocument): Router {
  const router = new Router();
  router.get('/openapi.json', (ctx) => {
    ctx.set('Cache-Control', 'no-cache');
    ctx.body = doc.toJSON();
  });
  return documented(router, {
    paths: {
      '/openapi.json': {
        get: {
          summary: 'This document: every route this process serves',
          operationId: 'getOpenApi',
          tags: ['system'],
          security: [],
          responses: {
            '200': {
              description: 'OpenAPI 3.1 document',
              content: { 'application/json': { schema: { type: 'object', required: ['openapi', 'paths'] } } },
            },
          },
        },
      },
    },
  });
}
