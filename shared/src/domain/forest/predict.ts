/**
 * Inference over a flat forest. Missing values (NaN) take the training median of the feature
 * (the forest's `imputation`), the same rule training used, so a NaN never crashes or silently
 * goes one way.
 */
import { predictBatch } from './batchPredict.ts';
import type { Forest } from './types.ts';

/** From this many rows on, the WebAssembly kernel beats its own set-up and copying. */
const BATCH_MIN_ROWS = 16;

let scratch = new Float64Array(64);

/**
 * The row to walk: X itself, or (rarely) an imputed copy when the row has a missing value. This
 * keeps the NaN test out of the per-node loop, where it cost about a sixth of prediction time.
 */
function completeRow(forest: Forest, X: ArrayLike<number>, offset: number): ArrayLike<number> {
  const d = forest.nFeatures;
  for (let f = 0; f < d; f++) {
    const v = X[offset + f];
    if (v !== v) {
      if (scratch.length < offset + d) scratch = new Float64Array(offset + d);
      for (let g = 0; g < d; g++) {
        const u = X[offset + g];
        scratch[offset + g] = u !== u ? forest.imputation[g] : u;
      }
      return scratch;
    }
  }
  return X;
}

/** Raw (uncalibrated) P(malignant) of one row starting at X[offset]. */
export function predictRow(forest: Forest, X: ArrayLike<number>, offset = 0): number {
  const row = completeRow(forest, X, offset);
  const { roots, feature, threshold, right, value, nTrees } = forest;
  let sum = 0;
  for (let t = 0; t < nTrees; t++) {
    let nd = roots[t];
    let f = feature[nd];
    while (f >= 0) {
      nd = row[offset + f] <= threshold[nd] ? nd + 1 : right[nd];
      f = feature[nd];
    }
    sum += value[nd];
  }
  return sum / nTrees;
}

/**
 * Raw P(malignant) for n row-major rows; writes into `out` when given. Many rows go through the
 * WebAssembly kernel (batchPredict.ts), which gives the same numbers as predictRow, faster.
 */
export function predictRaw(
  forest: Forest,
  X: Float64Array,
  n: number,
  out: Float64Array = new Float64Array(n),
): Float64Array {
  checkRows(forest, X, n, out);
  if (n >= BATCH_MIN_ROWS && predictBatch(forest, X, n, out)) return out;
  return walkRows(forest, X, n, out);
}

/** predictRaw without the kernel: one row at a time in TypeScript (the reference it must match). */
export function predictRawScalar(
  forest: Forest,
  X: Float64Array,
  n: number,
  out: Float64Array = new Float64Array(n),
): Float64Array {
  checkRows(forest, X, n, out);
  return walkRows(forest, X, n, out);
}

function walkRows(forest: Forest, X: Float64Array, n: number, out: Float64Array): Float64Array {
  const d = forest.nFeatures;
  for (let i = 0; i < n; i++) out[i] = predictRow(forest, X, i * d);
  return out;
}

function checkRows(forest: Forest, X: Float64Array, n: number, out: Float64Array): void {
  const d = forest.nFeatures;
  if (!Number.isInteger(n) || n < 0)
    throw new RangeError(`row count must be a whole number, got ${n}`);
  if (X.length < n * d)
    throw new RangeError(`expected ${n} rows of ${d} values, got ${X.length} values`);
  if (out.length < n) throw new RangeError(`output holds ${out.length} values, need ${n}`);
}

/** Leaf value of tree t for the row at X[offset] (used by OOB and permutation importance). */
export function predictTree(
  forest: Forest,
  t: number,
  X: ArrayLike<number>,
  offset: number,
): number {
  const { feature, threshold, right, value, imputation } = forest;
  let nd = forest.roots[t];
  let f = feature[nd];
  while (f >= 0) {
    let v = X[offset + f];
    if (v !== v) v = imputation[f];
    nd = v <= threshold[nd] ? nd + 1 : right[nd];
    f = feature[nd];
  }
  return value[nd];
}

export interface RawExplanation {
  /** Mean root value over trees: the forest's prior P(malignant) before looking at the row. */
  bias: number;
  /** Per feature: summed change of node value along the decision paths, averaged over trees. */
  contributions: Float64Array;
  /** bias + sum(contributions): the raw forest probability (up to float rounding). */
  probability: number;
}

/**
 * Saabas-style decomposition: along each tree's path, every split moves the node value from the
 * parent's to the child's; that move is credited to the split feature. Averaged over trees,
 * bias + sum of contributions equals the raw forest probability exactly (up to rounding).
 */
export function explainRow(forest: Forest, X: ArrayLike<number>, offset = 0): RawExplanation {
  const { roots, feature, threshold, right, value, imputation, nTrees, nFeatures } = forest;
  const contributions = new Float64Array(nFeatures);
  let bias = 0;
  let sum = 0;
  for (let t = 0; t < nTrees; t++) {
    let nd = roots[t];
    bias += value[nd];
    let f = feature[nd];
    while (f >= 0) {
      let v = X[offset + f];
      if (v !== v) v = imputation[f];
      const next = v <= threshold[nd] ? nd + 1 : right[nd];
      contributions[f] += value[next] - value[nd];
      nd = next;
      f = feature[nd];
    }
    sum += value[nd];
  }
  for (let f = 0; f < nFeatures; f++) contributions[f] /= nTrees;
  return { bias: bias / nTrees, contributions, probability: sum / nTrees };
}
