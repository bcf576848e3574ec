/**
 * Assembles shared/src/domain/forest/batchKernel.wat into batchKernel.wasm.ts (the bytes as
 * base64, so bundlers and the container need no loader for .wasm files). Run after editing the
 * .wat: `npm run build:wasm`. A unit test fails when the two disagree.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { assembleKernel, KERNEL_WAT, renderKernelModule } from './wasm.ts';

const target = fileURLToPath(
  new URL('../shared/src/domain/forest/batchKernel.wasm.ts', import.meta.url),
);
const bytes = await assembleKernel(KERNEL_WAT);
writeFileSync(target, renderKernelModule(bytes));
console.log(`wrote ${target} (${bytes.length} bytes of WebAssembly)`);
