import type { DatasetTable } from './datasetCsv.ts';

/**
 * What the training service needs of a trained model: its feature order, its operating
 * threshold and class probabilities. The handler wires the shared model code behind it
 * (the same code the container serves with), tests pass a stub.
 */
export interface ScoringModel {
  /** Feature names in the order `predict` expects its columns. */
  features: readonly string[];
  /** Predict malignant when probability >= threshold (chosen at training time). */
  threshold: number;
  /** Probability of malignant per row; `rows` is row-major with `features.length` columns. */
  predict(rows: Float64Array): Float64Array;
}

/** Loads a model from its model folder's files (`model.bin`, …); throws on an unusable one. */
export type ModelLoader = (files: ReadonlyMap<string, Buffer>) => ScoringModel;

export class IncompatibleModelError extends Error {
  override readonly name = 'IncompatibleModelError';
}

/** The model's probabilities on a dataset table, columns reordered to the model's order. */
export function scoreTable(model: ScoringModel, table: DatasetTable): Float64Array {
  const d = table.features.length;
  const index = model.features.map((name) => {
    const j = table.features.indexOf(name);
    if (j === -1)
      throw new IncompatibleModelError(
        `the model needs feature "${name}", which the dataset does not have`,
      );
    return j;
  });
  const n = table.labels.length;
  const m = index.length;
  const rows = new Float64Array(n * m);
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < m; c++) rows[r * m + c] = table.values[r * d + index[c]];
  }
  const p = model.predict(rows);
  if (p.length !== n) throw new Error(`the model returned ${p.length} probabilities for ${n} rows`);
  return p;
}
