/**
 * Batch prediction spread over worker threads, for batch transform and big invocations.
 *
 * Each worker holds its own copy of the model and two fixed shared buffers (one chunk of rows in,
 * one chunk of probabilities out). The calling thread copies a chunk in, the worker scores it,
 * the caller copies the results out and hands over the next chunk; so memory stays flat whatever
 * the number of rows, and the caller's rows need not be in shared memory.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { workerEntry } from '../forest/workerEntry.ts';
import type { LoadedModel } from './loaded.ts';
import { loadModel } from './loaded.ts';

export interface PredictPoolOptions {
  /** Worker threads; default: available cores. */
  workers?: number;
  /** Rows per chunk; default 8192. */
  chunkRows?: number;
}

export interface PredictPool {
  readonly workers: number;
  /** Calibrated P(malignant) for n row-major rows, as LoadedModel.predictProba. */
  predictProba(rows: Float64Array, n: number, out?: Float64Array): Promise<Float64Array>;
  close(): Promise<void>;
}

interface Slot {
  worker: Worker;
  input: Float64Array;
  output: Float64Array;
}

function startWorker(url: URL, bytes: Uint8Array, d: number, chunkRows: number): Promise<Slot> {
  const input = new Float64Array(new SharedArrayBuffer(chunkRows * d * 8));
  const output = new Float64Array(new SharedArrayBuffer(chunkRows * 8));
  const worker = new Worker(url, {
    workerData: { model: bytes, input: input.buffer, output: output.buffer },
  });
  return new Promise((resolve, reject) => {
    worker.once('message', () => resolve({ worker, input, output }));
    worker.once('error', reject);
  });
}

function runChunk(slot: Slot): Promise<void> {
  return new Promise((resolve, reject) => {
    slot.worker.once('message', (msg: { ok: boolean; error?: string }) =>
      msg.ok ? resolve() : reject(new Error(msg.error)),
    );
  });
}

/** Starts the pool; the model bytes are verified here once and loaded by every worker. */
export async function createPredictPool(
  modelBytes: Uint8Array,
  options: PredictPoolOptions = {},
): Promise<PredictPool> {
  const model: LoadedModel = loadModel(modelBytes);
  const d = model.features.length;
  const chunkRows = options.chunkRows ?? 8192;
  const count = Math.max(1, options.workers ?? availableParallelism());
  const url = workerEntry(new URL('./predictWorker.ts', import.meta.url));
  const slots = await Promise.all(
    Array.from({ length: count }, () => startWorker(url, modelBytes, d, chunkRows)),
  );
  let queue: Promise<unknown> = Promise.resolve();

  const run = async (rows: Float64Array, n: number, out: Float64Array): Promise<Float64Array> => {
    if (rows.length < n * d)
      throw new RangeError(`expected ${n} rows of ${d} values, got ${rows.length} values`);
    let next = 0;
    const feed = async (slot: Slot): Promise<void> => {
      while (next < n) {
        const from = next;
        const size = Math.min(chunkRows, n - from);
        next += size;
        slot.input.set(rows.subarray(from * d, (from + size) * d));
        const done = runChunk(slot);
        slot.worker.postMessage({ n: size });
        await done;
        out.set(slot.output.subarray(0, size), from);
      }
    };
    await Promise.all(slots.map(feed));
    return out;
  };

  return {
    workers: count,
    predictProba(rows, n, out = new Float64Array(n)) {
      // One batch at a time: the slots' buffers are reused.
      const result = queue.then(() => run(rows, n, out));
      queue = result.catch(() => undefined);
      return result;
    },
    async close() {
      await Promise.all(slots.map((s) => s.worker.terminate()));
    },
  };
}
