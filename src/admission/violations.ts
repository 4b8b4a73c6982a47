import type { ErrorObject } from 'ajv';
import type { EventViolation } from './admission-errors';

/**
 * ajv errors → violations with a JSON pointer to the offending value and a sentence a person can act on.
 * A missing or unexpected property is pointed at itself, not at its parent object.
 */
export function toViolations(errors: ErrorObject[] | null | undefined, base = ''): EventViolation[] {
  const out: EventViolation[] = [];
  const seen = new Set<string>();
  for (const e of errors ?? []) {
    const v = toViolation(e, base);
    const key = `${v.pointer}\u0000${v.detail}`;
    if (!seen.has(key)) {
      seen.add(key);
      out.push(v);
    }
  }
  return out;
}

function toViolation(e: ErrorObject, base: string): EventViolation {
  const at = `${base}${e.instancePath}`;
  const params = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'required':
      return { pointer: `${at}/${escape(String(params.missingProperty))}`, detail: 'is required' };
    case 'additionalProperties':
      return {
        pointer: `${at}/${escape(String(params.additionalProperty))}`,
        detail:
          at === ''
            ? 'is not an envelope attribute, and an extension attribute’s name is lowercase letters and digits ' +
              '(CloudEvents); rename or remove it'
            : 'is not an allowed property here; remove it',
      };
    case 'const':
      return { pointer: at, detail: `must be ${JSON.stringify(params.allowedValue)}` };
    case 'enum':
      return {
        pointer: at,
        detail: `must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`,
      };
    case 'pattern':
      return { pointer: at, detail: `must match ${String(params.pattern)}` };
    default:
      return { pointer: at, detail: e.message ?? 'is invalid' };
  }
}

function escape(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}
