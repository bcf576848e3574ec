/**
 * The container as plain JavaScript: `main.js` (the `train` / `serve` entrypoint) and the
 * worker threads it starts, bundled by esbuild into one folder. The image runs it
 * (`node dist/main.js serve`, see the Dockerfile) and so does the local SageMaker: a process
 * that runs TypeScript through tsx carries its loader (a hooks thread and the transpiler),
 * ~35 MiB more per serving process, and starts slower.
 *
 * Workers are found next to the entrypoint: from JavaScript, workerEntry() turns
 * `new URL('./trainWorker.ts', import.meta.url)` into `./trainWorker.js` beside main.js, so
 * every worker module is an entry point of its own, written flat into the folder.
 */
import { buildSync } from 'esbuild';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SHARED = fileURLToPath(new URL('../../', import.meta.url));

/** The entrypoint and every worker module the container may start, by output name. */
export const CONTAINER_ENTRIES: Record<string, string> = {
  main: join(SHARED, 'container/src/main.ts'),
  trainWorker: join(SHARED, 'src/domain/forest/trainWorker.ts'),
};

/**
 * Bundles the container into `outDir` (created if missing) and returns the entrypoint's path
 * (~0.1 s). scripts/build-container.ts runs it for the Dockerfile and the local runtime.
 */
export function bundleContainer(outDir: string): string {
  mkdirSync(outDir, { recursive: true });
  // The .js files are ES modules wherever the folder is copied to.
  writeFileSync(join(outDir, 'package.json'), '{ "type": "module" }\n');
  buildSync({
    entryPoints: CONTAINER_ENTRIES,
    outdir: outDir,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // Dependencies published as CommonJS call require(); ESM output has none of its own.
    banner: {
      js: "import { createRequire as __containerRequire } from 'node:module'; const require = __containerRequire(import.meta.url);",
    },
    logLevel: 'error',
  });
  return join(outDir, 'main.js');
}
