import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** A file the console serves under /console/assets/. */
export interface ConsoleAsset {
  body: Buffer;
  type: string;
}

/** The libraries the console runs on, straight from their packages. */
const LIBRARIES: Record<string, string> = {
  'preact.mjs': 'preact/dist/preact.mjs',
  'hooks.mjs': 'preact/hooks/dist/hooks.mjs',
  'htm.mjs': 'htm/dist/htm.mjs',
};

/**
 * Every asset the console's page loads (its own files in assets/ and its libraries), read once when the routes are built: nothing comes from a CDN, so
 * the console works on a network with no way out. The libraries are the packages' own ES module builds, so
 * there is no build step.
 */
export function loadConsoleAssets(): Map<string, ConsoleAsset> {
  const assets = new Map<string, ConsoleAsset>();
  const own = path.join(__dirname, 'assets');
  for (const name of readdirSync(own).filter((n) => /\.(js|css)$/.test(n))) {
    assets.set(name, { body: readFileSync(path.join(own, name)), type: typeOf(name) });
  }
  for (const [name, specifier] of Object.entries(LIBRARIES)) {
    assets.set(name, { body: readFileSync(libraryFile(specifier)), type: typeOf(name) });
  }
  return assets;
}

// The packages' exports maps hide their dist files (and package.json) from require.resolve: resolve the
// package's entry, walk up to the package's folder, then take the file.
function libraryFile(specifier: string): string {
  const pkg = specifier.split('/')[0] as string;
  let dir = path.dirname(require.resolve(pkg));
  while (path.basename(dir) !== pkg) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`the console's library ${pkg} is not installed`);
    dir = parent;
  }
  return path.join(dir, specifier.slice(pkg.length + 1));
}

function typeOf(name: string): string {
  return name.endsWith('.css') ? 'text/css; charset=utf-8' : 'text/javascript; charset=utf-8';
}
