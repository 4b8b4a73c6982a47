/**
 * The deepest nesting of arrays and objects a JSON body may have: far more than any event, webhook or
 * tool result needs, and far below where recursive JSON code (JSON.stringify, schema validation,
 * PostgreSQL's jsonb parser) runs out of stack.
 */
export const JSON_DEPTH_LIMIT = 128;

type Container = object;

/**
 * The JSON pointer of an array or object nested deeper than `limit` (the root is at depth 1), or
 * undefined. Walks without recursion, so any depth is safe to look at.
 */
export function pointerPastDepth(value: unknown, limit = JSON_DEPTH_LIMIT): string | undefined {
  if (!isContainer(value)) return undefined;
  const pending: Array<{ value: Container; depth: number; pointer: string }> = [
    { value, depth: 1, pointer: '' },
  ];
  while (pending.length > 0) {
    const { value: v, depth, pointer } = pending.pop() as (typeof pending)[number];
    if (depth > limit) return pointer;
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) {
        const child: unknown = v[i];
        if (isContainer(child)) pending.push({ value: child, depth: depth + 1, pointer: `${pointer}/${i}` });
      }
    } else {
      for (const [key, child] of Object.entries(v)) {
        if (isContainer(child)) {
          const token = key.replace(/~/g, '~0').replace(/\//g, '~1');
          pending.push({ value: child, depth: depth + 1, pointer: `${pointer}/${token}` });
        }
      }
    }
  }
  return undefined;
}

function isContainer(value: unknown): value is Container {
  return value !== null && typeof value === 'object';
}
