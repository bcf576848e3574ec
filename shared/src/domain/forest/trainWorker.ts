/**
 * Worker-thread entry for trainForestParallel: grows trees [from, to) of the forest and sends
 * them back (typed arrays transferred, not copied).
 */
import { parentPort } from 'node:worker_threads';
import { growTrees } from './forest.ts';
import type { ForestHyperparameters } from './hyperparameters.ts';

export interface TrainJob {
  X: Float64Array;
  y: Uint8Array;
  d: number;
  hp: ForestHyperparameters;
  seed: number;
  from: number;
  to: number;
}

parentPort?.on('message', (job: TrainJob) => {
  try {
    const trees = growTrees(job.X, job.y, job.d, job.hp, job.seed, job.from, job.to);
    const transfer = trees.flatMap((t) => [
      t.feature.buffer,
      t.threshold.buffer,
      t.right.buffer,
      t.value.buffer,
      t.importance.buffer,
    ]);
    parentPort?.postMessage({ ok: true, trees }, transfer as ArrayBuffer[]);
  } catch (err) {
    parentPort?.postMessage({ ok: false, error: err instanceof Error ? err.message : String(err) });
  }
});
