/**
 * parseNumericCsv with its common case in WebAssembly (numericKernel.wat): several times the
 * bytes per second, with bit-identical values (the tests compare the two on every field). Any
 * body the kernel does not take as it is (quotes, missing markers, long mantissas, errors) is
 * parsed by the TypeScript parser, which also words the errors; so the result, errors
 * included, is always parseNumericCsv's.
 */
import { NUMERIC_KERNEL_WASM_BASE64 } from './numericKernel.wasm.ts';
import { parseNumericCsv, type NumericCsv, type NumericCsvOptions } from './numeric.ts';

const SRC = 256; // after the 23 powers of ten
const PAGE = 65536;
/** Keep every address well inside the signed 32-bit range the kernel's arithmetic uses. */
const MAX_MEMORY_BYTES = 1 << 30;
const LF = 10;

type ParseFn = (src: number, n: number, cols: number, out: number, cap: number) => number;

// The part of the WebAssembly global used here (Node 20's type definitions do not declare it).
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
}

interface Kernel {
  memory: WasmMemory;
  parse: ParseFn;
}

let kernel: Kernel | undefined;

function instance(): Kernel {
  if (kernel) return kernel;
  const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
  const module = new wasm.Module(
    Uint8Array.from(atob(NUMERIC_KERNEL_WASM_BASE64), (c) => c.charCodeAt(0)),
  );
  const { exports } = new wasm.Instance(module, {});
  const memory = exports.memory as WasmMemory;
  new Float64Array(memory.buffer, 0, 23).set(Array.from({ length: 23 }, (_, i) => 10 ** i));
  kernel = { memory, parse: exports.parse as ParseFn };
  return kernel;
}

/**
 * The kernel's reading of `bytes`, or undefined when it leaves the body to parseNumericCsv.
 * `cap` is the rows it has room for; with more, it retries once with room for the most.
 */
export function kernelParse(
  bytes: Uint8Array,
  columns: number,
  cap = Math.ceil(bytes.length / (4 * columns)) + 1,
): NumericCsv | undefined {
  if (!Number.isInteger(columns) || columns < 1) return undefined;
  if (bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf)
    return undefined;
  const n = bytes.length;
  const out = Math.ceil((SRC + n + 1) / 8) * 8;
  const total = out + cap * columns * 8;
  if (total > MAX_MEMORY_BYTES) return undefined;
  const k = instance();
  const missing = Math.ceil(total / PAGE) - k.memory.buffer.byteLength / PAGE;
  if (missing > 0) k.memory.grow(missing);
  const heap = new Uint8Array(k.memory.buffer);
  heap.set(bytes, SRC);
  heap[SRC + n] = LF;
  const rows = k.parse(SRC, n, columns, out, cap);
  const most = Math.floor(n / columns) + 1;
  if (rows === -2) return cap < most ? kernelParse(bytes, columns, most) : undefined;
  if (rows < 0) return undefined;
  return { values: new Float64Array(k.memory.buffer, out, rows * columns).slice(), rows };
}

export function readNumericCsv(
  bytes: Uint8Array,
  columns: number,
  options: NumericCsvOptions = {},
): NumericCsv {
  const parsed = kernelParse(bytes, columns);
  return parsed && parsed.rows <= (options.maxRows ?? Infinity)
    ? parsed
    : parseNumericCsv(bytes, columns, options);
}
