import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * Start-up code for an eval'd worker thread that runs the module `relative` (a path without its
 * extension, relative to moduleUrl). Compiled (the image: `dist/**.js`) the worker imports the
 * JavaScript as is; run as TypeScript it registers tsx first (a worker does not inherit the loader
 * of the thread that starts it everywhere).
 */
export function moduleWorkerSource(moduleUrl: string, relative: string): string {
  if (moduleUrl.endsWith('.js')) {
    return `import(${JSON.stringify(new URL(`${relative}.js`, moduleUrl).href)});`;
  }
  const tsxDir = dirname(createRequire(moduleUrl).resolve('tsx/package.json'));
  const tsxApi = pathToFileURL(join(tsxDir, 'dist/esm/api/index.mjs')).href;
  const entry = new URL(`${relative}.ts`, moduleUrl).href;
  return `import(${JSON.stringify(tsxApi)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); });`;
}
