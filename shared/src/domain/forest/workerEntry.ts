/**
 * Entry URL for a worker thread that runs one of this package's modules, whether the package
 * runs as TypeScript source (through tsx, or under jest) or as compiled JavaScript.
 *
 * From compiled JavaScript the worker is the .js file next to the given .ts one. From source it
 * is a tiny ES module (a data: URL) that installs tsx's loader in the worker and then imports
 * the .ts file: on Node 20 tsx registers itself on the main thread only, so passing
 * `--import tsx` in execArgv is not enough.
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

/** tsx's ESM API entry ("tsx/esm/api" under the import condition). */
function tsxEsmApi(): string {
  const meta = import.meta as ImportMeta & { resolve?: (specifier: string) => string };
  if (typeof meta.resolve === 'function') return meta.resolve('tsx/esm/api');
  // Where import.meta.resolve is missing (jest's VM modules), require.resolve gives the CommonJS
  // build; tsx ships the ES build next to it.
  const cjs = createRequire(import.meta.url).resolve('tsx/esm/api');
  return pathToFileURL(cjs.replace(/\.cjs$/, '.mjs')).href;
}

/** `tsFile` is the worker module's URL as a .ts file, e.g. new URL('./w.ts', import.meta.url). */
export function workerEntry(tsFile: URL): URL {
  if (!import.meta.url.endsWith('.ts')) return new URL(tsFile.href.replace(/\.ts$/, '.js'));
  const code =
    `import { register } from ${JSON.stringify(tsxEsmApi())};\n` +
    `register();\n` +
    `await import(${JSON.stringify(tsFile.href)});\n`;
  return new URL(`data:text/javascript,${encodeURIComponent(code)}`);
}
