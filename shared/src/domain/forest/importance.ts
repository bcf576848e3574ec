/**
 * Permutation importance: how much ROC AUC drops when one feature's values are shuffled across
 * rows, breaking its link to the label while keeping its distribution. Unlike impurity
 * importance it is measured on rows the trees did not train on (a held-out set, or each tree's
 * out-of-bag rows), so it is not inflated for high-cardinality features.
 */
import { rocAuc } from '../metrics/classification.ts';
import type { ForestHyperparameters } from './hyperparameters.ts';
import { predictRaw, predictTree } from './predict.ts';
import { Rng, treeSeed } from './prng.ts';
import { bootstrapCounts } from './tree.ts';
import type { Forest } from './types.ts';

export interface PermutationImportance {
  /** ROC AUC with no feature shuffled. */
  baseline: number;
  /** Mean AUC decrease per feature over the repeats (can be slightly negative: noise). */
  mean: Float64Array;
  std: Float64Array;
  repeats: number;
  /** 'held-out' or 'oob'. */
  basis: 'held-out' | 'oob';
  /** Rows used (a seeded sample when the data exceeds maxRows). */
  rows: number;
}

export interface PermutationOptions {
  repeats?: number;
  seed?: number;
  /** Caps the rows scored, for cost; default 5000. */
  maxRows?: number;
  /**
   * Score with out-of-bag votes instead of the full forest: X, y must then be the training
   * data, and hp / seed the ones the forest was trained with.
   */
  oob?: { hyperparameters: ForestHyperparameters; seed: number };
}

/** Out-of-bag rows of each tree, replayed from the tree seeds. */
function oobRowsPerTree(
  forest: Forest,
  n: number,
  hp: ForestHyperparameters,
  seed: number,
): Int32Array[] {
  const out: Int32Array[] = [];
  for (let t = 0; t < forest.nTrees; t++) {
    const counts = bootstrapCounts(treeSeed(seed, t), n, hp);
    const rows: number[] = [];
    for (let i = 0; i < n; i++) if (counts[i] === 0) rows.push(i);
    out.push(Int32Array.from(rows));
  }
  return out;
}

export function permutationImportance(
  forest: Forest,
  X: Float64Array,
  y: Uint8Array,
  options: PermutationOptions = {},
): PermutationImportance {
  const n = y.length;
  const d = forest.nFeatures;
  const repeats = options.repeats ?? 5;
  const rng = new Rng(options.seed ?? 42);
  const maxRows = options.maxRows ?? 5000;

  // Which rows to score: all, or a seeded sample.
  let subset: Int32Array | null = null;
  if (n > maxRows) {
    const all = Int32Array.from({ length: n }, (_, i) => i);
    for (let i = 0; i < maxRows; i++) {
      const j = i + rng.nextInt(n - i);
      const t = all[i];
      all[i] = all[j];
      all[j] = t;
    }
    subset = all.slice(0, maxRows).sort();
  }

  const oobRows = options.oob
    ? oobRowsPerTree(forest, n, options.oob.hyperparameters, options.oob.seed)
    : null;
  const selected = new Uint8Array(n);
  if (subset) for (const i of subset) selected[i] = 1;
  else selected.fill(1);

  const Xw = X.slice();
  const scores = (): { y: number[]; p: number[] } => {
    const py: number[] = [];
    const pp: number[] = [];
    if (oobRows) {
      const sum = new Float64Array(n);
      const votes = new Int32Array(n);
      for (let t = 0; t < forest.nTrees; t++) {
        for (const i of oobRows[t]) {
          if (selected[i] === 0) continue;
          sum[i] += predictTree(forest, t, Xw, i * d);
          votes[i]++;
        }
      }
      for (let i = 0; i < n; i++) {
        if (selected[i] === 1 && votes[i] > 0) {
          py.push(y[i]);
          pp.push(sum[i] / votes[i]);
        }
      }
    } else {
      const p = predictRaw(forest, Xw, n);
      for (let i = 0; i < n; i++) {
        if (selected[i] === 1) {
          py.push(y[i]);
          pp.push(p[i]);
        }
      }
    }
    return { y: py, p: pp };
  };
  const base = scores();
  const baseline = rocAuc(base.y, base.p);

  const mean = new Float64Array(d);
  const std = new Float64Array(d);
  const rows = subset ?? Int32Array.from({ length: n }, (_, i) => i);
  const column = new Float64Array(rows.length);
  for (let f = 0; f < d; f++) {
    const drops: number[] = [];
    for (let r = 0; r < repeats; r++) {
      for (let k = 0; k < rows.length; k++) column[k] = X[rows[k] * d + f];
      for (let k = column.length - 1; k > 0; k--) {
        const j = rng.nextInt(k + 1);
        const t = column[k];
        column[k] = column[j];
        column[j] = t;
      }
      for (let k = 0; k < rows.length; k++) Xw[rows[k] * d + f] = column[k];
      const s = scores();
      drops.push(baseline - rocAuc(s.y, s.p));
    }
    for (let k = 0; k < rows.length; k++) Xw[rows[k] * d + f] = X[rows[k] * d + f];
    const m = drops.reduce((a, b) => a + b, 0) / repeats;
    mean[f] = m;
    std[f] = Math.sqrt(drops.reduce((a, b) => a + (b - m) ** 2, 0) / repeats);
  }
  return { baseline, mean, std, repeats, basis: oobRows ? 'oob' : 'held-out', rows: rows.length };
}
