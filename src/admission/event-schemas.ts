import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { EVENT_TYPE_PATTERN } from '../envelope';
import { codedError, NonRetryableError } from '../errors';
import type { EventViolation } from './admission-errors';
import { toViolations } from './violations';

/** A schema file that cannot be read or compiled; raised at boot, naming the file. */
export class EventSchemaError extends codedError(NonRetryableError, 'WAGGLE_EVENT_SCHEMA_INVALID') {}

const TYPE_NAME = new RegExp(EVENT_TYPE_PATTERN);

/**
 * The JSON Schemas of event `data`, one file per event type (`<type>.json` in the schemas directory),
 * compiled once at boot. An event type without a schema is not admitted.
 */
export class EventSchemas {
  private readonly validators = new Map<string, ValidateFunction>();

  private constructor() {}

  /** Reads and compiles every `<type>.json` in `dir`; throws EventSchemaError naming the bad file. */
  static load(dir: string): EventSchemas {
    let files: string[];
    try {
      files = readdirSync(dir).filter((f) => f.endsWith('.json'));
    } catch (err) {
      throw new EventSchemaError(`cannot read the event schema directory ${dir}: ${(err as Error).message}`, {
        cause: err,
      });
    }
    const schemas: Record<string, unknown> = {};
    for (const file of files.sort()) {
      const where = path.join(dir, file);
      try {
        schemas[file.slice(0, -'.json'.length)] = JSON.parse(readFileSync(where, 'utf8'));
      } catch (err) {
        throw new EventSchemaError(`${where}: not valid JSON: ${(err as Error).message}`, { cause: err });
      }
    }
    return EventSchemas.fromObjects(schemas, dir);
  }

  /** Compiles schemas given as `{ type: schema }` (tests, embedded use). */
  static fromObjects(schemas: Record<string, unknown>, origin = '(inline)'): EventSchemas {
    const registry = new EventSchemas();
    const ajv = new Ajv2020({ allErrors: true, strict: true });
    addFormats(ajv);
    for (const [type, schema] of Object.entries(schemas)) {
      const where = `${origin}/${type}.json`;
      if (!TYPE_NAME.test(type)) {
        throw new EventSchemaError(`${where}: "${type}" is not an event type name like message.received`);
      }
      try {
        registry.validators.set(type, ajv.compile(schema as object));
      } catch (err) {
        throw new EventSchemaError(`${where}: ${(err as Error).message}`, { cause: err });
      }
    }
    return registry;
  }

  /** Every event type that has a schema, sorted. */
  types(): string[] {
    return [...this.validators.keys()].sort();
  }

  has(type: string): boolean {
    return this.validators.has(type);
  }

  /** Violations of `data` against the type's schema (pointers start at `/data`); [] when valid. */
  check(type: string, data: unknown): EventViolation[] {
    const validate = this.validators.get(type);
    if (!validate) {
      return [
        {
          pointer: '/type',
          detail: `"${type}" is not a known event type; known types: ${this.types().join(', ')}`,
        },
      ];
    }
    // An event without data is checked as if it carried `{}`: fine for types whose data is all optional.
    return validate(data === undefined ? {} : data) ? [] : toViolations(validate.errors, '/data');
  }
}
