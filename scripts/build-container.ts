/**
 * Bundles the model container into a folder: `npm run build:container -- <folder>` writes
 * `<folder>/main.js` (run it as `node <folder>/main.js train|serve`) and its worker modules.
 * The Dockerfile's build stage runs it, and so does the local runtime, in a process of its own
 * so that no bundler process stays behind in the runtime.
 */
import { bundleContainer } from '../shared/container/src/bundle.ts';

const outDir = process.argv[2];
if (!outDir) {
  process.stderr.write('usage: build-container.ts <output folder>\n');
  process.exit(2);
}
console.log(`wrote ${bundleContainer(outDir)}`);
