import Ajv, { type ErrorObject } from 'ajv';
import schema from '../../topology/waggle.schema.json';
import { formatPath, formatValue, valueAt } from './problem-format';

type SchemaNode = Record<string, unknown>;

const ajv = new Ajv({ allErrors: true, verbose: true, strict: true, allowUnionTypes: true });
// `x-expected` says, in words, what a value should look like; it only feeds error lines.
ajv.addVocabulary(['x-expected']);
const validate = ajv.compile(schema);

/** The topology JSON Schema (topology/waggle.schema.json). */
export const TOPOLOGY_SCHEMA: Record<string, unknown> = schema;

/** One schema violation: where (`queues.tool.calls.retry`) and what was found versus expected. */
export interface SchemaProblem {
  path: string;
  text: string;
}

/** Checks a parsed topology document against the JSON Schema; one problem per path. */
export function schemaProblems(doc: unknown): SchemaProblem[] {
  if (validate(doc)) return [];
  const byPath = new Map<string, SchemaProblem>();
  for (const err of validate.errors ?? []) {
    const problem = describe(err, doc);
    if (problem && !byPath.has(problem.path)) byPath.set(problem.path, problem);
  }
  return [...byPath.values()];
}

function describe(err: ErrorObject, doc: unknown): SchemaProblem | undefined {
  const segments = pointerSegments(err.instancePath);
  const parent = (err.parentSchema ?? {}) as SchemaNode;
  const params = err.params as Record<string, unknown>;
  // ajv puts the offending key of a `propertyNames` failure on the nested error itself
  const named = (err as ErrorObject & { propertyName?: unknown }).propertyName;
  const propertyName = typeof named === 'string' ? named : undefined;
  if (err.keyword === 'propertyNames') return undefined; // the nested error names the key
  if (propertyName !== undefined) {
    const path = formatPath(doc, [...segments, propertyName]);
    return { path, text: `${JSON.stringify(propertyName)} is not ${expectedOf(err, parent)}` };
  }
  if (err.keyword === 'additionalProperties') {
    const key = String(params.additionalProperty);
    const known = Object.keys((parent.properties as SchemaNode | undefined) ?? {});
    return {
      path: formatPath(doc, [...segments, key]),
      text: `unknown key ${JSON.stringify(key)}, expected one of ${known.join(', ')}`,
    };
  }
  if (err.keyword === 'required') {
    const key = String(params.missingProperty);
    const props = (parent.properties as Record<string, SchemaNode> | undefined) ?? {};
    const expected = expectedFromSchema(props[key]) ?? 'a value';
    return { path: formatPath(doc, [...segments, key]), text: `missing, expected ${expected}` };
  }
  const value = valueAt(doc, segments);
  return { path: formatPath(doc, segments), text: `${formatValue(value)} is not ${expectedOf(err, parent)}` };
}

function expectedOf(err: ErrorObject, parent: SchemaNode): string {
  const own = parent['x-expected'];
  if (typeof own === 'string') return own;
  const params = err.params as Record<string, unknown>;
  switch (err.keyword) {
    case 'enum':
      return `one of ${(params.allowedValues as unknown[]).join(', ')}`;
    case 'const':
      return JSON.stringify(params.allowedValue);
    case 'type':
      return `of type ${String(params.type)}`;
    case 'minimum':
      return `a number ≥ ${String(params.limit)}`;
    case 'maximum':
      return `a number ≤ ${String(params.limit)}`;
    case 'minItems':
      return `a list of at least ${String(params.limit)}`;
    default:
      return err.message ?? 'valid';
  }
}

function expectedFromSchema(node: SchemaNode | undefined): string | undefined {
  if (!node) return undefined;
  if (typeof node['x-expected'] === 'string') return node['x-expected'];
  const ref = node.$ref;
  if (typeof ref === 'string' && ref.startsWith('#/definitions/')) {
    const defs = (schema as { definitions: Record<string, SchemaNode> }).definitions;
    return expectedFromSchema(defs[ref.slice('#/definitions/'.length)]);
  }
  return undefined;
}

function pointerSegments(pointer: string): string[] {
  if (!pointer) return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}
