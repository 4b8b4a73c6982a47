import { DURATION_PATTERN } from './duration';
import rows from './variables.json';

/**
 * How a variable's value becomes its config field: as validated (`string`, `integer`, `number`, `boolean`),
 * parsed as a duration in ms (`duration`), or split at commas into a list (`list`) or of durations (`durations`).
 */
export type VariableKind = 'string' | 'integer' | 'number' | 'boolean' | 'duration' | 'durations' | 'list';

const KINDS: readonly string[] = ['string', 'integer', 'number', 'boolean', 'duration', 'durations', 'list'];

/** One environment variable that configures waggle. The table in docs/configuration.md is generated from this list. */
export interface VariableSpec {
  /** The environment variable's name. */
  env: string;
  /** The field of WaggleConfig it sets. */
  key: string;
  /** How its validated value becomes that field. */
  kind: VariableKind;
  /** JSON Schema of the raw string value (ajv coerces integers and booleans). */
  schema: Record<string, unknown>;
  /** What is allowed, in words, for the error line. */
  expected: string;
  /** Default as the environment would spell it; absent means "unset". */
  default?: string;
  description: string;
  /**
   * What of the value is secret. `value`: never printed, not even in an error line (which gives its length
   * instead). `password`: the password of the URL, printed as `***`. A password in any other URL is hidden
   * all the same; the mark says that the URL is expected to carry one.
   */
  secret?: 'value' | 'password';
}

/** A row of variables.json: the schema "duration" stands for a duration string (DURATION_PATTERN). */
interface VariableRow extends Omit<VariableSpec, 'schema' | 'secret' | 'kind'> {
  schema: Record<string, unknown> | 'duration';
  kind: string;
  secret?: string;
}

function specOf(row: VariableRow): VariableSpec {
  const { schema, secret, kind, ...rest } = row;
  if (secret !== undefined && secret !== 'value' && secret !== 'password') {
    throw new Error(`variables.json: ${row.env}: secret must be "value" or "password", not "${secret}"`);
  }
  if (!KINDS.includes(kind)) {
    throw new Error(`variables.json: ${row.env}: kind must be one of ${KINDS.join(', ')}, not "${kind}"`);
  }
  return {
    ...rest,
    kind: kind as VariableKind,
    schema: schema === 'duration' ? { type: 'string', pattern: DURATION_PATTERN } : schema,
    ...(secret ? { secret } : {}),
  };
}

/**
 * Every variable waggle reads, kept as data in variables.json (name, JSON Schema of the raw string, what is
 * expected in words, default, description, what is secret). Add a row there, then to WaggleConfig and toConfig().
 */
export const VARIABLES: readonly VariableSpec[] = (rows as VariableRow[]).map(specOf);
