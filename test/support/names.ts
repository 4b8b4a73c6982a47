import { randomUUID } from 'node:crypto';

/** A name no other test (or earlier run) uses: `<prefix>-<8 hex>`. Lowercase, so it is a valid tenant id. */
export function uniqueName(prefix = 't'): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}
