/**
 * What the WebAssembly kernels (forest traversal, numeric CSV, clean rows) share: compiling
 * their committed bytes, making an instance, growing its memory, and the powers of ten the
 * number readers divide by.
 */

// The part of the WebAssembly global used here (Node 20's type definitions do not declare it).
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
}
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

const PAGE = 65536;

/** A kernel's module from its base64 bytes (a .wasm.ts), compiled on first use. */
export function lazyModule(base64: string): () => object {
  let compiled: object | undefined;
  return () =>
    (compiled ??= new wasm.Module(Uint8Array.from(atob(base64), (c) => c.charCodeAt(0))));
}

/** A new instance of `module`: its exports and its memory. */
export function instantiate(module: object): {
  exports: Record<string, unknown>;
  memory: WasmMemory;
} {
  const { exports } = new wasm.Instance(module, {});
  return { exports, memory: exports.memory as WasmMemory };
}

/** Grows `memory` to at least `bytes`. */
export function reserve(memory: WasmMemory, bytes: number): void {
  const missing = Math.ceil(bytes / PAGE) - memory.buffer.byteLength / PAGE;
  if (missing > 0) memory.grow(missing);
}

/** Writes 10^0..10^22 (each exact as a double) at address 0: 184 bytes the caller keeps free. */
export function writePowersOfTen(memory: WasmMemory): void {
  new Float64Array(memory.buffer, 0, 23).set(Array.from({ length: 23 }, (_, i) => 10 ** i));
}
