/** Stratified k-fold splits: each fold keeps the malignant/benign mix of the whole set. */
import { Rng } from '../forest/prng.ts';

export interface Fold {
  train: Int32Array;
  test: Int32Array;
}

/**
 * Fold number of every row. Each class is shuffled with the seed and dealt round-robin, the
 * second class continuing where the first stopped, so fold sizes differ by at most one and
 * class counts per fold by at most one.
 */
export function stratifiedFoldIds(y: ArrayLike<number>, k: number, seed = 42): Int32Array {
  if (!Number.isInteger(k) || k < 2)
    throw new RangeError(`folds must be an integer >= 2, got ${k}`);
  const byClass: number[][] = [[], []];
  for (let i = 0; i < y.length; i++) {
    if (y[i] !== 0 && y[i] !== 1)
      throw new RangeError(`label ${y[i]} at row ${i}; expected 0 or 1`);
    byClass[y[i]].push(i);
  }
  const smallest = Math.min(byClass[0].length, byClass[1].length);
  if (smallest < k) {
    throw new RangeError(
      `${k} folds need at least ${k} rows of each class; the smaller class has ${smallest}`,
    );
  }
  const rng = new Rng(seed);
  const fold = new Int32Array(y.length);
  let next = 0;
  for (const rows of byClass) {
    for (let i = rows.length - 1; i > 0; i--) {
      const j = rng.nextInt(i + 1);
      const tmp = rows[i];
      rows[i] = rows[j];
      rows[j] = tmp;
    }
    for (const r of rows) {
      fold[r] = next;
      next = (next + 1) % k;
    }
  }
  return fold;
}

/** Train/test row indices (ascending) for each fold. */
export function stratifiedKFold(y: ArrayLike<number>, k: number, seed = 42): Fold[] {
  const fold = stratifiedFoldIds(y, k, seed);
  return Array.from({ length: k }, (_, f) => {
    const test: number[] = [];
    const train: number[] = [];
    for (let i = 0; i < fold.length; i++) (fold[i] === f ? test : train).push(i);
    return { train: Int32Array.from(train), test: Int32Array.from(test) };
  });
}
