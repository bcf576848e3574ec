/**
 * Worker-thread entry for createPredictPool: loads the model once, then scores chunks of rows
 * placed in shared memory by the pool, writing probabilities into shared memory.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { loadModel } from './loaded.ts';

export interface PredictJob {
  /** Rows to score in `input` (row-major). */
  n: number;
}

const {
  model: bytes,
  input,
  output,
} = workerData as {
  model: Uint8Array;
  input: SharedArrayBuffer;
  output: SharedArrayBuffer;
};
const model = loadModel(bytes);
const d = model.features.length;
const rows = new Float64Array(input);
const out = new Float64Array(output);

parentPort?.on('message', (job: PredictJob) => {
  try {
    model.predictProba(rows.subarray(0, job.n * d), job.n, out.subarray(0, job.n));
    parentPort?.postMessage({ ok: true });
  } catch (err) {
    parentPort?.postMessage({ ok: false, error: err instanceof Error ? err.message : String(err) });
  }
});
parentPort?.postMessage({ ready: true });
