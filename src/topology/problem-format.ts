/** `queues.tool.calls.retry.backoff[2]`: keys joined by dots, list positions in brackets. */
export function formatPath(doc: unknown, segments: ReadonlyArray<string | number>): string {
  let out = '';
  let node: unknown = doc;
  for (const segment of segments) {
    if (Array.isArray(node)) {
      out += `[${segment}]`;
      node = node[Number(segment)];
    } else {
      out += out ? `.${segment}` : String(segment);
      node = isRecord(node) ? node[String(segment)] : undefined;
    }
  }
  return out || '(top level)';
}

/** The value at a path of keys and list positions, or undefined. */
export function valueAt(doc: unknown, segments: ReadonlyArray<string | number>): unknown {
  let node = doc;
  for (const segment of segments) {
    if (Array.isArray(node)) node = node[Number(segment)];
    else if (isRecord(node)) node = node[String(segment)];
    else return undefined;
  }
  return node;
}

/** A found value as an error line shows it: scalars as JSON, containers by their shape. */
export function formatValue(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (Array.isArray(value)) return value.length === 0 ? 'an empty list' : 'a list';
  if (typeof value === 'object') return Object.keys(value).length === 0 ? 'an empty map' : 'a map';
  return JSON.stringify(value);
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
