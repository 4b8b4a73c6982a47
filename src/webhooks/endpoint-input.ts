import type { NewEndpoint } from './endpoint-store';
import { WebhookEndpointInvalidError } from './webhook-errors';

/**
 * A registration as a client sent it in JSON (`url`, `eventTypes`, `secret`, `description`) for `tenant`,
 * its fields checked for their JSON types; throws WebhookEndpointInvalidError naming every field that has
 * the wrong one. The values themselves are checked when the endpoint is created (endpointProblems).
 */
export function endpointInput(json: Record<string, unknown>, tenant: string): NewEndpoint {
  const { url, eventTypes, secret, description } = json;
  const problems: string[] = [];
  if (typeof url !== 'string') problems.push(`url: ${shown(url)} is not a string; send the endpoint's URL`);
  if (eventTypes !== undefined && !isStringArray(eventTypes)) {
    problems.push(`eventTypes: ${shown(eventTypes)} is not an array of event type patterns (strings)`);
  }
  if (secret !== undefined && typeof secret !== 'string') {
    problems.push(`secret: ${shown(secret)} is not a string (whsec_ + base64)`);
  }
  if (description !== undefined && description !== null && typeof description !== 'string') {
    problems.push(`description: ${shown(description)} is not a string`);
  }
  if (problems.length > 0) throw new WebhookEndpointInvalidError(problems);
  return {
    tenant,
    url: url as string,
    eventTypes: (eventTypes as string[] | undefined) ?? [],
    ...(typeof secret === 'string' ? { secret } : {}),
    ...(typeof description === 'string' ? { description } : {}),
  };
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string');
}

// A JSON value in a message, cut short: it came from the client and may be large.
function shown(value: unknown): string {
  const text = JSON.stringify(value) ?? 'nothing';
  return text.length > 60 ? `${text.slice(0, 60)}…` : text;
}
