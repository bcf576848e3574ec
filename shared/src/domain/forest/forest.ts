/**
 * Random Forest training (in the calling thread). See ./parallel.ts for the worker-thread
 * version; both build every tree from (seed, tree index) alone, so they give identical forests.
 */
import { rocAuc } from '../metrics/classification.ts';
import type { ForestHyperparameters } from './hyperparameters.ts';
import { resolveHyperparameters } from './hyperparameters.ts';
import { predictTree } from './predict.ts';
import { treeSeed } from './prng.ts';
import { bootstrapCounts, prepareTrainingData, TreeBuilder } from './tree.ts';
import type { TrainingData, TreeArrays } from './tree.ts';
import type { Forest, OobResult, TrainedForest } from './types.ts';

export interface TrainOptions {
  /** Seed of the whole forest (default 42); same seed + same data = byte-identical model. */
  seed?: number;
  /** Compute out-of-bag predictions (default true; needs bootstrap). */
  oob?: boolean;
}

export const DEFAULT_SEED = 42;

/** Checks shapes and labels; throws a RangeError that says what is wrong. */
export function validateTrainingInput(
  X: Float64Array,
  y: Uint8Array,
  featureNames: readonly string[],
): void {
  const n = y.length;
  const d = featureNames.length;
  if (d === 0) throw new RangeError('no features');
  if (new Set(featureNames).size !== d) throw new RangeError('feature names must be unique');
  if (n === 0) throw new RangeError('no training rows');
  if (X.length !== n * d) {
    throw new RangeError(
      `X holds ${X.length} values; expected ${n} rows x ${d} features = ${n * d}`,
    );
  }
  let pos = 0;
  for (let i = 0; i < n; i++) {
    if (y[i] > 1)
      throw new RangeError(`label of row ${i} is ${y[i]}; expected 0 (benign) or 1 (malignant)`);
    pos += y[i];
  }
  if (pos === 0 || pos === n) {
    throw new RangeError(
      `training data holds one class only (${pos === 0 ? 'benign' : 'malignant'})`,
    );
  }
}

/**
 * Trains a forest on row-major X (n x d, NaN = missing) and labels y (1 = malignant).
 * Blocks the calling thread: call it from a worker, a child process or a batch job, never from
 * a request handler (use trainForestParallel there).
 */
export function trainForest(
  X: Float64Array,
  y: Uint8Array,
  featureNames: readonly string[],
  hyperparameters: Partial<ForestHyperparameters> = {},
  options: TrainOptions = {},
): TrainedForest {
  validateTrainingInput(X, y, featureNames);
  const hp = resolveHyperparameters(hyperparameters);
  const seed = (options.seed ?? DEFAULT_SEED) >>> 0;
  const data = prepareTrainingData(X, y, featureNames.length, hp);
  const trees = growPrepared(data, hp, seed, 0, hp.nEstimators);
  return assembleForest(X, y, featureNames, hp, seed, trees, options.oob ?? true, data.imputation);
}

/** Grows trees [from, to) of the forest; the unit of work a worker thread does. */
export function growTrees(
  X: Float64Array,
  y: Uint8Array,
  d: number,
  hp: ForestHyperparameters,
  seed: number,
  from: number,
  to: number,
): TreeArrays[] {
  return growPrepared(prepareTrainingData(X, y, d, hp), hp, seed, from, to);
}

function growPrepared(
  data: TrainingData,
  hp: ForestHyperparameters,
  seed: number,
  from: number,
  to: number,
): TreeArrays[] {
  const builder = new TreeBuilder(data, hp);
  const trees: TreeArrays[] = [];
  for (let t = from; t < to; t++) trees.push(builder.build(treeSeed(seed, t)));
  return trees;
}

/** Column medians as training imputes them (the forest stores them for prediction). */
function imputationOf(X: Float64Array, n: number, d: number): Float64Array {
  const out = new Float64Array(d);
  const col = new Float64Array(n);
  for (let f = 0; f < d; f++) {
    for (let i = 0; i < n; i++) col[i] = X[i * d + f];
    col.sort();
    let m = n;
    while (m > 0 && Number.isNaN(col[m - 1])) m--;
    const h = m >> 1;
    out[f] = m === 0 ? 0 : m % 2 === 1 ? col[h] : (col[h - 1] + col[h]) / 2;
  }
  return out;
}

/**
 * Concatenates trees (in index order) into one flat forest and computes OOB if asked.
 * `imputation` is the training data's, when the caller prepared it in this thread.
 */
export function assembleForest(
  X: Float64Array,
  y: Uint8Array,
  featureNames: readonly string[],
  hp: ForestHyperparameters,
  seed: number,
  trees: TreeArrays[],
  withOob: boolean,
  imputation: Float64Array = imputationOf(X, y.length, featureNames.length),
): TrainedForest {
  const d = featureNames.length;
  const n = y.length;
  let total = 0;
  for (const t of trees) total += t.feature.length;
  const forest: Forest = {
    nFeatures: d,
    nTrees: trees.length,
    roots: new Int32Array(trees.length),
    feature: new Int32Array(total),
    threshold: new Float64Array(total),
    right: new Int32Array(total),
    value: new Float64Array(total),
    imputation,
  };
  const importance = new Float64Array(d);
  let off = 0;
  trees.forEach((t, k) => {
    forest.roots[k] = off;
    forest.feature.set(t.feature, off);
    forest.threshold.set(t.threshold, off);
    forest.value.set(t.value, off);
    for (let j = 0; j < t.right.length; j++)
      forest.right[off + j] = t.right[j] < 0 ? -1 : t.right[j] + off;
    for (let f = 0; f < d; f++) importance[f] += t.importance[f];
    off += t.feature.length;
  });
  let impTotal = 0;
  for (let f = 0; f < d; f++) impTotal += importance[f];
  if (impTotal > 0) for (let f = 0; f < d; f++) importance[f] /= impTotal;
  return {
    forest,
    featureNames: [...featureNames],
    hyperparameters: hp,
    seed,
    nTrainRows: n,
    impurityImportance: importance,
    oob: withOob && hp.bootstrap ? outOfBag(forest, X, y, hp, seed) : null,
  };
}

/**
 * Out-of-bag predictions: each row is scored only by the trees whose bootstrap left it out,
 * which makes them an honest estimate without a held-out set. Bootstraps are replayed from the
 * tree seeds. `X` may differ from the training X in values (permutation importance), not shape.
 */
export function outOfBagProbabilities(
  forest: Forest,
  X: Float64Array,
  n: number,
  hp: ForestHyperparameters,
  seed: number,
): Float64Array {
  const d = forest.nFeatures;
  const sum = new Float64Array(n);
  const votes = new Int32Array(n);
  for (let t = 0; t < forest.nTrees; t++) {
    const counts = bootstrapCounts(treeSeed(seed, t), n, hp);
    for (let i = 0; i < n; i++) {
      if (counts[i] !== 0) continue;
      sum[i] += predictTree(forest, t, X, i * d);
      votes[i]++;
    }
  }
  for (let i = 0; i < n; i++) sum[i] = votes[i] > 0 ? sum[i] / votes[i] : NaN;
  return sum;
}

function outOfBag(
  forest: Forest,
  X: Float64Array,
  y: Uint8Array,
  hp: ForestHyperparameters,
  seed: number,
): OobResult {
  const n = y.length;
  const probabilities = outOfBagProbabilities(forest, X, n, hp, seed);
  const yc: number[] = [];
  const pc: number[] = [];
  let correct = 0;
  for (let i = 0; i < n; i++) {
    const p = probabilities[i];
    if (Number.isNaN(p)) continue;
    yc.push(y[i]);
    pc.push(p);
    if ((p >= 0.5 ? 1 : 0) === y[i]) correct++;
  }
  const both = yc.includes(0) && yc.includes(1);
  return {
    probabilities,
    covered: yc.length,
    accuracy: yc.length > 0 ? correct / yc.length : NaN,
    rocAuc: both ? rocAuc(yc, pc) : NaN,
  };
}
