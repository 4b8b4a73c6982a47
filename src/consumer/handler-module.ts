import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { ConsumerConfigError } from './consumer-settings';
import { isConsumerDefinition, type ConsumerDefinition } from './define-consumer';

/**
 * Imports a handler module (a path relative to `root`, with or without `.ts`) and returns its default export,
 * which must be the result of defineConsumer.
 */
export async function loadHandlerModule(
  root: string,
  handler: string,
  consumer: string,
): Promise<ConsumerDefinition> {
  const path = resolve(root, handler);
  let mod: unknown;
  try {
    // waggle runs as CommonJS through tsx's require hook, which compiles TypeScript modules; import() would
    // bypass it. An ES module falls back to import().
    try {
      mod = createRequire(resolve(root, 'package.json'))(path);
    } catch (err) {
      if ((err as { code?: string }).code !== 'ERR_REQUIRE_ESM') throw err;
      mod = await import(path);
    }
  } catch (err) {
    throw new ConsumerConfigError(consumer, [
      `handler module "${handler}" could not be loaded: ${(err as Error).message}`,
    ]);
  }
  // A CommonJS-compiled module can arrive wrapped once more ({ default: { default: … } }).
  let exported = (mod as { default?: unknown }).default;
  if (!isConsumerDefinition(exported)) exported = (exported as { default?: unknown } | undefined)?.default;
  if (!isConsumerDefinition(exported)) {
    throw new ConsumerConfigError(consumer, [
      `handler module "${handler}": its default export is not a defineConsumer(...) result`,
    ]);
  }
  return exported;
}
