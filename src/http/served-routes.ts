import type Router from '@koa/router';

/** One operation a server answers, as the OpenAPI document names it: `get` and `/v1/sessions/{id}/stream`. */
export interface ServedOperation {
  method: string;
  path: string;
}

/**
 * The operations `routers` serve, read from their route layers. `:name` becomes `{name}` and an escaped
 * character stands for itself (`/v1/events\:batch` is `/v1/events:batch`); the HEAD that the router answers
 * for every GET is not an operation of its own, and middleware layers (no methods) serve nothing.
 */
export function servedOperations(routers: readonly Router[]): ServedOperation[] {
  const operations: ServedOperation[] = [];
  for (const router of routers) {
    for (const layer of router.stack) {
      const path = pathTemplate(layer.path);
      const methods = layer.methods.includes('GET')
        ? layer.methods.filter((m) => m !== 'HEAD')
        : layer.methods;
      for (const method of methods) operations.push({ method: method.toLowerCase(), path });
    }
  }
  return operations;
}

// A RegExp route has no template; its source is kept so that it shows up (undocumented) wherever it is listed.
function pathTemplate(path: string | RegExp): string {
  if (typeof path !== 'string') return String(path);
  return path.replace(/\\(.)|:(\w+)/g, (_, escaped: string | undefined, name: string | undefined) =>
    escaped !== undefined ? escaped : `{${name}}`,
  );
}
