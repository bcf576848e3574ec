/** Stratified k-fold cross-validation of the forest (raw probabilities, threshold 0.5). */
import { trainForest } from '../forest/forest.ts';
import type { ForestHyperparameters } from '../forest/hyperparameters.ts';
import { predictRaw } from '../forest/predict.ts';
import { accuracy, confusionMatrix, rocAuc } from '../metrics/classification.ts';
import { stratifiedFoldIds } from '../metrics/crossValidation.ts';

export interface CrossValidationResult {
  folds: number;
  seed: number;
  perFold: { n: number; rocAuc: number; accuracy: number }[];
  meanRocAuc: number;
  stdRocAuc: number;
  meanAccuracy: number;
  /** Out-of-fold raw probability of every row. */
  outOfFold: Float64Array;
}

/** Rows `rows` of row-major X (d columns) as a new matrix. */
export function takeRows(X: Float64Array, d: number, rows: ArrayLike<number>): Float64Array {
  const out = new Float64Array(rows.length * d);
  for (let k = 0; k < rows.length; k++) out.set(X.subarray(rows[k] * d, rows[k] * d + d), k * d);
  return out;
}

/**
 * Trains one forest per fold in the calling thread (for a process or worker that does only
 * this). `foldIds` lets callers reuse a split (e.g. to compare with another library).
 */
export function crossValidateForest(
  X: Float64Array,
  y: Uint8Array,
  featureNames: readonly string[],
  hyperparameters: Partial<ForestHyperparameters> = {},
  options: { folds?: number; seed?: number; foldIds?: Int32Array } = {},
): CrossValidationResult {
  const k = options.folds ?? 5;
  const seed = options.seed ?? 42;
  const d = featureNames.length;
  const foldIds = options.foldIds ?? stratifiedFoldIds(y, k, seed);
  const outOfFold = new Float64Array(y.length);
  const perFold: CrossValidationResult['perFold'] = [];
  for (let f = 0; f < k; f++) {
    const train: number[] = [];
    const test: number[] = [];
    for (let i = 0; i < y.length; i++) (foldIds[i] === f ? test : train).push(i);
    const model = trainForest(
      takeRows(X, d, train),
      Uint8Array.from(train, (i) => y[i]),
      featureNames,
      hyperparameters,
      { seed, oob: false },
    );
    const p = predictRaw(model.forest, takeRows(X, d, test), test.length);
    const yt = Uint8Array.from(test, (i) => y[i]);
    test.forEach((i, j) => (outOfFold[i] = p[j]));
    perFold.push({
      n: test.length,
      rocAuc: rocAuc(yt, p),
      accuracy: accuracy(confusionMatrix(yt, p, 0.5)),
    });
  }
  const aucs = perFold.map((r) => r.rocAuc);
  const meanRocAuc = aucs.reduce((a, b) => a + b, 0) / k;
  return {
    folds: k,
    seed,
    perFold,
    meanRocAuc,
    stdRocAuc: Math.sqrt(aucs.reduce((a, b) => a + (b - meanRocAuc) ** 2, 0) / k),
    meanAccuracy: perFold.reduce((a, r) => a + r.accuracy, 0) / k,
    outOfFold,
  };
}
