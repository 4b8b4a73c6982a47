import type { Context } from 'koa';
import { HttpProblem, readRawBody } from '../http';

/** The header that marks a request as a CloudEvent in HTTP binary mode. */
export const BINARY_MODE_HEADER = 'ce-specversion';

const ATTRIBUTE_HEADER_PREFIX = 'ce-';
// Media types whose body is JSON: application/json, application/*+json, text/json (parameters ignored).
const JSON_MEDIA_TYPE = /^(application\/(?:[\w.+-]+\+)?json|text\/json)\s*(;|$)/i;
const TEXT_MEDIA_TYPE = /^text\//i;

/** True when the request carries a CloudEvent in HTTP binary mode (attributes in `ce-*` headers). */
export function isBinaryMode(ctx: Context): boolean {
  return ctx.get(BINARY_MODE_HEADER) !== '';
}

/**
 * Reads a CloudEvent sent in HTTP binary mode (CloudEvents HTTP protocol binding 1.0): every `ce-<name>`
 * header is the attribute `<name>` (percent-decoded), Content-Type is `datacontenttype`, and the body is
 * the data: parsed when its type is JSON, a string when it is text, else kept as `data_base64`. The result
 * is the event in structured form, checked afterwards like any structured event.
 */
export async function readBinaryEvent(ctx: Context, limit: number): Promise<Record<string, unknown>> {
  const event: Record<string, unknown> = {};
  for (const [header, value] of Object.entries(ctx.headers)) {
    if (!header.startsWith(ATTRIBUTE_HEADER_PREFIX) || value === undefined) continue;
    const name = header.slice(ATTRIBUTE_HEADER_PREFIX.length);
    if (name === 'datacontenttype' || name === 'data' || name === 'data_base64') {
      throw new HttpProblem(
        400,
        'BINARY_EVENT_INVALID',
        `header ${header} is not allowed in binary mode: the data's type is Content-Type and the data is the body`,
      );
    }
    event[name] = percentDecoded(header, Array.isArray(value) ? value.join(',') : value);
  }
  const body = await readRawBody(ctx, limit);
  if (body.length === 0) return event;
  const contentType = ctx.get('content-type');
  if (!contentType) {
    throw new HttpProblem(
      415,
      'UNSUPPORTED_MEDIA_TYPE',
      'a binary-mode event with a body needs a Content-Type naming the data’s media type, e.g. application/json',
    );
  }
  event.datacontenttype = contentType;
  if (JSON_MEDIA_TYPE.test(contentType)) {
    try {
      event.data = JSON.parse(body.toString('utf8'));
    } catch (err) {
      throw new HttpProblem(
        400,
        'BODY_NOT_JSON',
        `the body is the event's data and Content-Type ${contentType} says JSON, but it is not valid JSON: ` +
          (err as Error).message,
      );
    }
  } else if (TEXT_MEDIA_TYPE.test(contentType)) {
    event.data = body.toString('utf8');
  } else {
    event.data_base64 = body.toString('base64');
  }
  return event;
}

// Header values are percent-encoded UTF-8 where they hold anything beyond printable ASCII.
function percentDecoded(header: string, value: string): string {
  if (!value.includes('%')) return value;
  try {
    return decodeURIComponent(value);
  } catch {
    throw new HttpProblem(
      400,
      'BINARY_EVENT_INVALID',
      `header ${header} holds a malformed percent-encoding; encode non-ASCII characters as %XX of their UTF-8 bytes`,
    );
  }
}
