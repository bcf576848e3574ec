/**
 * fastRows' clean-row check in WebAssembly (cleanRows.wat): a run of clean lines, in a file
 * laid out as record_id + the model features, is found at about twice the speed of the
 * TypeScript loop. The kernel only ever stops early: fastRows decides every line it leaves,
 * so the output and the errors are fastRows' own (the tests compare the two on every line).
 */
import {
  instantiate,
  lazyModule,
  reserve,
  writePowersOfTen,
  type WasmMemory,
} from '@cancer-mlops/shared/domain/wasmKernel.ts';
import { CLEAN_ROWS_WASM_BASE64 } from './cleanRows.wasm.ts';

const MIN_AT = 256; // after the powers of ten
/** Chunks above this are left to TypeScript: the kernel's memory never shrinks. */
const MAX_CHUNK_BYTES = 16 << 20;

type RunFn = (
  pos: number,
  end: number,
  nMeas: number,
  minAt: number,
  maxAt: number,
  delim: number,
  maxId: number,
) => number;

interface Instance {
  memory: WasmMemory;
  run: RunFn;
  count: { value: number };
}

const kernelModule = lazyModule(CLEAN_ROWS_WASM_BASE64);
let shared: Instance | undefined;

/** One instance for the process: each chunk is loaded and checked in one synchronous go. */
function instance(): Instance {
  if (shared) return shared;
  const { exports, memory } = instantiate(kernelModule());
  writePowersOfTen(memory);
  shared = { memory, run: exports.run as RunFn, count: exports.count as { value: number } };
  return shared;
}

/** The clean-row check for one file's layout: `min`/`max` per measurement slot, then the score. */
export class CleanRows {
  private readonly maxAt: number;
  private readonly inputAt: number;
  private base = 0;
  private end = 0;
  private loaded = false;
  /** Lines the last run accepted. */
  count = 0;

  constructor(
    private readonly min: Float64Array,
    private readonly max: Float64Array,
    private readonly nMeasurements: number,
    private readonly delimiter: number,
    private readonly maxIdBytes: number,
  ) {
    this.maxAt = MIN_AT + nMeasurements * 8;
    this.inputAt = Math.ceil((this.maxAt + nMeasurements * 8) / 64) * 64;
  }

  /**
   * Makes buf[pos, end) (whole lines) the bytes `run` reads; false when the chunk is left to
   * TypeScript.
   */
  load(buf: Uint8Array, pos: number, end: number): boolean {
    this.loaded = false;
    if (end - pos > MAX_CHUNK_BYTES) return false;
    const k = instance();
    reserve(k.memory, this.inputAt + end - pos);
    // Another file's preparer may have loaded its own limits since.
    new Float64Array(k.memory.buffer, MIN_AT, this.nMeasurements).set(
      this.min.subarray(0, this.nMeasurements),
    );
    new Float64Array(k.memory.buffer, this.maxAt, this.nMeasurements).set(
      this.max.subarray(0, this.nMeasurements),
    );
    new Uint8Array(k.memory.buffer).set(buf.subarray(pos, end), this.inputAt);
    this.base = pos;
    this.end = end;
    this.loaded = true;
    return true;
  }

  /** From `from` (a line start in the loaded bytes): where the run of clean lines stops. */
  run(from: number): number {
    if (!this.loaded) return from;
    const k = instance();
    const shift = this.inputAt - this.base;
    const stop =
      k.run(
        from + shift,
        this.end + shift,
        this.nMeasurements,
        MIN_AT,
        this.maxAt,
        this.delimiter,
        this.maxIdBytes,
      ) - shift;
    this.count = k.count.value;
    return stop;
  }
}
