import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { ConsumerConfigError } from './consumer-settings';
import { isConsumerDefinition, type ConsumerDefinition } from './define-consumer';

/**
 * Imports a module (a path relative to `root`, with or without `.ts`) and returns its default export;
 * throws the loader's error when it cannot be loaded.
 */
export async function importDefaultExport(
  root: string,
  file: string,
  accept: (exported: unknown) => boolean,
): Promise<unknown> {
  const path = resolve(root, file);
  let mod: unknown;
  // waggle runs as CommonJS through tsx's require hook, which compiles TypeScript modules; import() would
  // bypass it. An ES module falls back to import().
  try {
    mod = createRequire(resolve(root, 'package.json'))(path);
  } catch (err) {
    if ((err as { code?: string }).code !== 'ERR_REQUIRE_ESM') throw err;
    mod = await import(path);
  }
  // A CommonJS-compiled module can arrive wrapped once more ({ default: { default: … } }).
  const exported = (mod as { default?: unknown }).default;
  return accept(exported) ? exported : (exported as { default?: unknown } | undefined)?.default;
}

/**
 * Imports a handler module (a path relative to `root`, with or without `.ts`) and returns its default export,
 * which must be the result of defineConsumer.
 */
export async function loadHandlerModule(
  root: string,
  handler: string,
  consumer: string,
): Promise<ConsumerDefinition> {
  let exported: unknown;
  try {
    exported = await importDefaultExport(root, handler, isConsumerDefinition);
  } catch (err) {
    throw new ConsumerConfigError(consumer, [
      `handler module "${handler}" could not be loaded: ${(err as Error).message}`,
    ]);
  }
  if (!isConsumerDefinition(exported)) {
    throw new ConsumerConfigError(consumer, [
      `handler module "${handler}": its default export is not a defineConsumer(...) result`,
    ]);
  }
  return exported;
}
