/**
 * Training spread over worker threads. Trees are split into contiguous ranges, one per worker;
 * each tree depends only on (seed, tree index), so the assembled forest is byte-identical to
 * trainForest's. The calling thread only copies X once into shared memory and concatenates the
 * results, so a server that trains this way keeps answering requests.
 *
 * If a worker cannot start at all (no TypeScript loader, a sandbox), training falls back to the
 * calling thread unless `fallback: 'error'`.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { TrainOptions } from './forest.ts';
import { assembleForest, DEFAULT_SEED, growTrees, validateTrainingInput } from './forest.ts';
import type { ForestHyperparameters } from './hyperparameters.ts';
import { resolveHyperparameters } from './hyperparameters.ts';
import type { TreeArrays } from './tree.ts';
import type { TrainJob } from './trainWorker.ts';
import type { TrainedForest } from './types.ts';
import { workerEntry } from './workerEntry.ts';

export interface ParallelTrainOptions extends TrainOptions {
  /** Worker threads (default: available cores, at most one per tree); 0 = calling thread. */
  workers?: number;
  /** What to do when workers cannot start: train in the calling thread (default) or throw. */
  fallback?: 'in-thread' | 'error';
  /** Told why training fell back to the calling thread. */
  onFallback?: (reason: string) => void;
}

export interface ParallelTrainResult extends TrainedForest {
  /** Worker threads actually used (0 = trained in the calling thread). */
  workersUsed: number;
}

class WorkerStartError extends Error {}

function runWorker(job: TrainJob, url: URL): Promise<TreeArrays[]> {
  return new Promise((resolve, reject) => {
    let started = false;
    const worker = new Worker(url);
    worker.once('online', () => {
      started = true;
    });
    worker.once(
      'message',
      (msg: { ok: true; trees: TreeArrays[] } | { ok: false; error: string }) => {
        void worker.terminate();
        if (msg.ok) resolve(msg.trees);
        else reject(new Error(msg.error));
      },
    );
    worker.once('error', (err) => {
      void worker.terminate();
      reject(started ? err : new WorkerStartError(err.message));
    });
    worker.once('exit', (code) => {
      if (code !== 0) reject(new WorkerStartError(`training worker exited with code ${code}`));
    });
    worker.postMessage(job);
  });
}

/**
 * Same contract as trainForest, asynchronous: trees are grown on worker threads. Resolves to the
 * same bytes trainForest would produce for the same inputs and seed.
 */
export async function trainForestParallel(
  X: Float64Array,
  y: Uint8Array,
  featureNames: readonly string[],
  hyperparameters: Partial<ForestHyperparameters> = {},
  options: ParallelTrainOptions = {},
): Promise<ParallelTrainResult> {
  validateTrainingInput(X, y, featureNames);
  const hp = resolveHyperparameters(hyperparameters);
  const seed = (options.seed ?? DEFAULT_SEED) >>> 0;
  const d = featureNames.length;
  const oob = options.oob ?? true;
  const workers = Math.min(options.workers ?? availableParallelism(), hp.nEstimators);
  const inThread = (): ParallelTrainResult => ({
    ...assembleForest(
      X,
      y,
      featureNames,
      hp,
      seed,
      growTrees(X, y, d, hp, seed, 0, hp.nEstimators),
      oob,
    ),
    workersUsed: 0,
  });
  if (workers <= 0) return inThread();

  // One shared copy of the data for all workers.
  const sharedX = new Float64Array(new SharedArrayBuffer(X.byteLength));
  sharedX.set(X);
  const sharedY = new Uint8Array(new SharedArrayBuffer(y.byteLength));
  sharedY.set(y);
  let url: URL;
  try {
    url = workerEntry(new URL('./trainWorker.ts', import.meta.url));
  } catch (err) {
    if (options.fallback === 'error') throw err;
    options.onFallback?.(`no worker entry: ${(err as Error).message}`);
    return inThread();
  }
  const jobs: TrainJob[] = [];
  for (let k = 0; k < workers; k++) {
    const from = Math.floor((k * hp.nEstimators) / workers);
    const to = Math.floor(((k + 1) * hp.nEstimators) / workers);
    jobs.push({ X: sharedX, y: sharedY, d, hp, seed, from, to });
  }
  let parts: TreeArrays[][];
  try {
    parts = await Promise.all(jobs.map((job) => runWorker(job, url)));
  } catch (err) {
    if (!(err instanceof WorkerStartError) || options.fallback === 'error') throw err;
    options.onFallback?.(err.message);
    return inThread();
  }
  return {
    ...assembleForest(X, y, featureNames, hp, seed, parts.flat(), oob),
    workersUsed: workers,
  };
}
