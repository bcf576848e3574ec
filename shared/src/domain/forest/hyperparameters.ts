/**
 * Random Forest hyperparameters, their defaults (scikit-learn's, so results compare) and the
 * validation every entrypoint shares. Errors name the offending key so a SageMaker failure file
 * or an API 400 can say exactly what to fix.
 */

/**
 * Features tried at each split: 'sqrt' (default), 'log2', 'all', an integer count >= 1, or a
 * fraction in (0, 1) of the feature count.
 */
export type MaxFeatures = 'sqrt' | 'log2' | 'all' | number;

/**
 * Class weights multiply each row's bootstrap count in the split criterion and leaf values.
 * 'balanced' weights each class by n / (2 * n_class) over the training set; null = all 1.
 */
export type ClassWeight = null | 'balanced' | { benign: number; malignant: number };

export interface ForestHyperparameters {
  nEstimators: number;
  maxFeatures: MaxFeatures;
  /** null = grow until leaves are pure or hit minSamplesLeaf / minSamplesSplit. */
  maxDepth: number | null;
  /** Minimum distinct training rows in a leaf (as scikit-learn counts them). */
  minSamplesLeaf: number;
  /** Minimum distinct training rows in a node for it to be split. */
  minSamplesSplit: number;
  /** Draw each tree's rows with replacement; false = every tree sees every row (no OOB). */
  bootstrap: boolean;
  /** Fraction (0, 1] of n drawn per tree when bootstrapping; null = n draws. */
  maxSamples: number | null;
  classWeight: ClassWeight;
}

export const DEFAULT_HYPERPARAMETERS: Readonly<ForestHyperparameters> = Object.freeze({
  nEstimators: 100,
  maxFeatures: 'sqrt',
  maxDepth: null,
  minSamplesLeaf: 1,
  minSamplesSplit: 2,
  bootstrap: true,
  maxSamples: null,
  classWeight: null,
});

export class HyperparameterError extends Error {
  constructor(
    readonly key: string,
    message: string,
  ) {
    super(`hyperparameter ${key}: ${message}`);
    this.name = 'HyperparameterError';
  }
}

const KEYS = new Set(Object.keys(DEFAULT_HYPERPARAMETERS));

function positiveInt(key: string, v: unknown, min = 1): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
    throw new HyperparameterError(key, `expected an integer >= ${min}, got ${JSON.stringify(v)}`);
  }
  return v;
}

/** Fills defaults and validates; throws HyperparameterError naming the first bad key. */
export function resolveHyperparameters(
  partial: Partial<ForestHyperparameters> = {},
): ForestHyperparameters {
  for (const key of Object.keys(partial)) {
    if (!KEYS.has(key)) throw new HyperparameterError(key, 'unknown hyperparameter');
  }
  const hp: ForestHyperparameters = { ...DEFAULT_HYPERPARAMETERS, ...partial };
  positiveInt('nEstimators', hp.nEstimators);
  if (hp.nEstimators > 10_000) throw new HyperparameterError('nEstimators', 'at most 10000');
  const mf = hp.maxFeatures;
  if (typeof mf === 'number') {
    const ok = (Number.isInteger(mf) && mf >= 1) || (mf > 0 && mf < 1);
    if (!ok) {
      throw new HyperparameterError(
        'maxFeatures',
        `expected 'sqrt', 'log2', 'all', an integer >= 1 or a fraction in (0, 1), got ${mf}`,
      );
    }
  } else if (mf !== 'sqrt' && mf !== 'log2' && mf !== 'all') {
    throw new HyperparameterError(
      'maxFeatures',
      `expected 'sqrt', 'log2', 'all', an integer >= 1 or a fraction in (0, 1), got ${JSON.stringify(mf)}`,
    );
  }
  if (hp.maxDepth !== null) positiveInt('maxDepth', hp.maxDepth);
  positiveInt('minSamplesLeaf', hp.minSamplesLeaf);
  positiveInt('minSamplesSplit', hp.minSamplesSplit, 2);
  if (typeof hp.bootstrap !== 'boolean') {
    throw new HyperparameterError(
      'bootstrap',
      `expected true or false, got ${JSON.stringify(hp.bootstrap)}`,
    );
  }
  if (hp.maxSamples !== null) {
    if (typeof hp.maxSamples !== 'number' || !(hp.maxSamples > 0 && hp.maxSamples <= 1)) {
      throw new HyperparameterError(
        'maxSamples',
        `expected a fraction in (0, 1], got ${hp.maxSamples}`,
      );
    }
  }
  const cw = hp.classWeight;
  if (cw !== null && cw !== 'balanced') {
    const valid =
      typeof cw === 'object' &&
      Number.isFinite(cw.benign) &&
      Number.isFinite(cw.malignant) &&
      cw.benign > 0 &&
      cw.malignant > 0;
    if (!valid) {
      throw new HyperparameterError(
        'classWeight',
        `expected null, 'balanced' or {benign, malignant} positive numbers, got ${JSON.stringify(cw)}`,
      );
    }
  }
  return hp;
}

/** Number of features tried per split for `d` features. */
export function resolveMaxFeatures(mf: MaxFeatures, d: number): number {
  let k: number;
  if (mf === 'sqrt') k = Math.floor(Math.sqrt(d));
  else if (mf === 'log2') k = Math.floor(Math.log2(d));
  else if (mf === 'all') k = d;
  else if (mf < 1) k = Math.floor(mf * d);
  else k = mf;
  return Math.min(d, Math.max(1, k));
}
