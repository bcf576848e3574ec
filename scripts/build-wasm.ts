/**
 * Assembles each WebAssembly kernel's .wat (listed in scripts/wasm.ts) into its .wasm.ts (the bytes as base64, so bundlers
 * and the container need no loader for .wasm files). Run after editing a .wat:
 * `npm run build:wasm`. A unit test fails when a .wat and its module disagree.
 */
import { writeFileSync } from 'node:fs';
import { assembleKernel, KERNELS, renderKernelModule } from './wasm.ts';

for (const kernel of KERNELS) {
  const bytes = await assembleKernel(kernel.wat);
  writeFileSync(kernel.module, renderKernelModule(kernel, bytes));
  console.log(`wrote ${kernel.module} (${bytes.length} bytes of WebAssembly)`);
}
