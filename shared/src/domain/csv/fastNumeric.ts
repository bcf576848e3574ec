/**
 * parseNumericCsv with its common case in WebAssembly (numericKernel.wat): several times the
 * bytes per second, with bit-identical values (the tests compare the two on every field). Any
 * body the kernel does not take as it is (quotes, missing markers, long mantissas, errors) is
 * parsed by the TypeScript parser, which also words the errors; so the result, errors
 * included, is always parseNumericCsv's.
 */
import {
  instantiate,
  lazyModule,
  reserve,
  writePowersOfTen,
  type WasmMemory,
} from '../wasmKernel.ts';
import { NUMERIC_KERNEL_WASM_BASE64 } from './numericKernel.wasm.ts';
import { parseNumericCsv, type NumericCsv, type NumericCsvOptions } from './numeric.ts';

const SRC = 256; // after the powers of ten
/** Keep every address well inside the signed 32-bit range the kernel's arithmetic uses. */
const MAX_MEMORY_BYTES = 1 << 30;
const LF = 10;

type ParseFn = (src: number, n: number, cols: number, out: number, cap: number) => number;

const kernelModule = lazyModule(NUMERIC_KERNEL_WASM_BASE64);
let kernel: { memory: WasmMemory; parse: ParseFn } | undefined;

/** One instance for the process: a call copies its body in, parses and is done. */
function instance(): { memory: WasmMemory; parse: ParseFn } {
  if (kernel) return kernel;
  const { exports, memory } = instantiate(kernelModule());
  writePowersOfTen(memory);
  kernel = { memory, parse: exports.parse as ParseFn };
  return kernel;
}

export interface ReadOptions extends NumericCsvOptions {
  /**
   * The values may be a view of the kernel's own memory, valid until the next call: no copy
   * (a serving container reads a mini-batch, predicts and answers before the next one).
   */
  borrow?: boolean;
}

/** A body as one buffer or as the chunks it arrived in (copied straight into the kernel). */
export type Body = Uint8Array | readonly Uint8Array[];

const sizeOf = (body: Body): number =>
  body instanceof Uint8Array ? body.length : body.reduce((n, c) => n + c.length, 0);

/**
 * The kernel's reading of `body`, or undefined when it leaves the body to parseNumericCsv.
 * `cap` is the rows it has room for; with more, it retries once with room for the most.
 */
export function kernelParse(
  body: Body,
  columns: number,
  options: { borrow?: boolean; cap?: number } = {},
): NumericCsv | undefined {
  if (!Number.isInteger(columns) || columns < 1) return undefined;
  const n = sizeOf(body);
  const cap = options.cap ?? Math.ceil(n / (4 * columns)) + 1;
  const out = Math.ceil((SRC + n + 1) / 8) * 8;
  const total = out + cap * columns * 8;
  if (total > MAX_MEMORY_BYTES) return undefined;
  const k = instance();
  reserve(k.memory, total);
  const heap = new Uint8Array(k.memory.buffer);
  if (body instanceof Uint8Array) heap.set(body, SRC);
  else body.reduce((at, chunk) => (heap.set(chunk, at), at + chunk.length), SRC);
  heap[SRC + n] = LF;
  // A byte-order mark is the TypeScript parser's to skip.
  if (n >= 3 && heap[SRC] === 0xef && heap[SRC + 1] === 0xbb && heap[SRC + 2] === 0xbf)
    return undefined;
  const rows = k.parse(SRC, n, columns, out, cap);
  const most = Math.floor(n / columns) + 1;
  if (rows === -2)
    return cap < most ? kernelParse(body, columns, { ...options, cap: most }) : undefined;
  if (rows < 0) return undefined;
  const values = new Float64Array(k.memory.buffer, out, rows * columns);
  return { values: options.borrow ? values : values.slice(), rows };
}

export function readNumericCsv(body: Body, columns: number, options: ReadOptions = {}): NumericCsv {
  const parsed = kernelParse(body, columns, { borrow: options.borrow });
  if (parsed && parsed.rows <= (options.maxRows ?? Infinity)) return parsed;
  const bytes = body instanceof Uint8Array ? body : Buffer.concat(body);
  return parseNumericCsv(bytes, columns, options);
}
