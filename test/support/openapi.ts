import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { expect } from 'chai';
import type { ServedOperation } from '../../src/http';

/** The parts of an OpenAPI document the checks read. */
export interface OpenApiDoc {
  openapi: string;
  paths: Record<string, Record<string, DocumentedOperation>>;
  components?: { securitySchemes?: Record<string, unknown> };
}

export interface DocumentedOperation {
  security?: Array<Record<string, string[]>>;
  responses: Record<string, { content?: Record<string, { schema?: unknown }> }>;
}

/** An answer to check: a fetch Response (its body not read yet), or one whose body was read already. */
export type Answer = Response | { status: number; headers: Headers; body: unknown };

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/** GET /openapi.json of the server at `baseUrl`, over a real socket. */
export async function servedDocument(baseUrl: string): Promise<OpenApiDoc> {
  const res = await fetch(`${baseUrl}/openapi.json`);
  expect(res.status, 'GET /openapi.json').to.equal(200);
  return (await res.json()) as OpenApiDoc;
}

/** Every operation `doc` describes, as method and path template. */
export function documentedOperations(doc: OpenApiDoc): ServedOperation[] {
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.keys(item)
      .filter((method) => METHODS.includes(method))
      .map((method) => ({ method, path })),
  );
}

/**
 * Holds a served document up against real answers: `check` asserts that the document lists the answer's
 * status for the operation, with its media type, and that the body fits the schema given there. Keeps the
 * document honest about what each route really answers.
 */
export class DocumentedAnswers {
  private readonly ajv = new Ajv2020({ strict: false, allErrors: true });

  constructor(readonly doc: OpenApiDoc) {
    addFormats(this.ajv);
    this.ajv.addSchema({ ...doc, $id: 'openapi.json' });
  }

  /** Checks `answer` against `method path` (a path template, e.g. /v1/sessions/{id}/stream); returns its body. */
  async check(method: string, path: string, answer: Answer): Promise<unknown> {
    const name = `${method.toUpperCase()} ${path} ${answer.status}`;
    const operation = this.doc.paths[path]?.[method];
    expect(operation, `${method.toUpperCase()} ${path} is documented`).to.not.equal(undefined);
    const response = operation?.responses[String(answer.status)];
    expect(response, `${name} is documented`).to.not.equal(undefined);
    const media = (answer.headers.get('content-type') ?? '').split(';')[0]?.trim() ?? '';
    if (!media) {
      expect(response?.content, `${name} has no body, and the document gives it none`).to.equal(undefined);
      return undefined;
    }
    expect(response?.content?.[media], `${name} documents ${media}`).to.not.equal(undefined);
    const body = await bodyOf(answer, media);
    if (body === STREAM) return undefined;
    const pointer = `#/paths/${escape(path)}/${method}/responses/${answer.status}/content/${escape(media)}/schema`;
    const validate = this.ajv.getSchema(`openapi.json${pointer}`) as ValidateFunction | undefined;
    expect(validate, `${name}: schema at ${pointer}`).to.not.equal(undefined);
    expect(validate?.(body), `${name}: ${JSON.stringify(validate?.errors)}`).to.equal(true);
    return body;
  }
}

const STREAM = Symbol('stream');

// A stream (text/event-stream) never ends by itself: only its headers are checked, and the body is let go.
async function bodyOf(answer: Answer, media: string): Promise<unknown> {
  if (!(answer instanceof Response)) return answer.body;
  if (media === 'text/event-stream') {
    await answer.body?.cancel();
    return STREAM;
  }
  return /[/+]json$/.test(media) ? answer.json() : answer.text();
}

function escape(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}
