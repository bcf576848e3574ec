/**
 * SageMaker hands hyperparameters over as a JSON object of strings
 * (/opt/ml/input/config/hyperparameters.json). This turns them into typed settings and refuses
 * anything unknown or malformed, naming the key.
 */
import type {
  ClassWeight,
  ForestHyperparameters,
  MaxFeatures,
} from '@cancer-mlops/shared/domain/forest/hyperparameters.ts';
import {
  HyperparameterError,
  resolveHyperparameters,
} from '@cancer-mlops/shared/domain/forest/hyperparameters.ts';

export interface TrainingSettings {
  forest: ForestHyperparameters;
  seed: number;
  targetSensitivity: number;
  /** One-sided confidence that the threshold reaches the target on new rows; 0 = observed. */
  sensitivityConfidence: number;
  calibration: 'platt' | 'none';
  cvFolds: number | 'auto';
  permutationRepeats: number;
  /** Worker threads; undefined = all cores. */
  workers: number | undefined;
  /** Lineage id of the training snapshot; default: a hash of the channel files. */
  datasetId: string | undefined;
}

/** Accepted keys; SageMaker's own `sagemaker_*` keys are ignored. */
export const HYPERPARAMETER_KEYS = [
  'n_estimators',
  'max_features',
  'max_depth',
  'min_samples_leaf',
  'min_samples_split',
  'bootstrap',
  'max_samples',
  'class_weight',
  'seed',
  'target_sensitivity',
  'sensitivity_confidence',
  'calibration',
  'cv_folds',
  'permutation_repeats',
  'workers',
  'dataset_id',
] as const;

type Raw = string | number | boolean | null;

const text = (v: Raw): string => (v === null ? '' : String(v)).trim();
const isNone = (s: string): boolean => ['', 'none', 'null'].includes(s.toLowerCase());

function int(key: string, v: Raw, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const s = text(v);
  if (!/^[+]?\d+$/.test(s) || Number(s) < min || Number(s) > max) {
    throw new HyperparameterError(
      key,
      `expected an integer from ${min} to ${max}, got ${JSON.stringify(v)}`,
    );
  }
  return Number(s);
}

function num(key: string, v: Raw): number {
  const s = text(v);
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) {
    throw new HyperparameterError(key, `expected a number, got ${JSON.stringify(v)}`);
  }
  return Number(s);
}

function bool(key: string, v: Raw): boolean {
  const s = text(v).toLowerCase();
  if (s === 'true' || s === '1') return true;
  if (s === 'false' || s === '0') return false;
  throw new HyperparameterError(key, `expected true or false, got ${JSON.stringify(v)}`);
}

function maxFeatures(v: Raw): MaxFeatures {
  const s = text(v).toLowerCase();
  if (s === 'sqrt' || s === 'log2' || s === 'all') return s;
  if (s === 'auto') return 'sqrt'; // scikit-learn's old spelling of sqrt for classifiers
  return num('max_features', v);
}

function classWeight(v: Raw): ClassWeight {
  const s = text(v);
  if (isNone(s)) return null;
  if (s.toLowerCase() === 'balanced') return 'balanced';
  // "benign:1,malignant:3" or JSON {"benign":1,"malignant":3} (also 0/1 or B/M keys).
  let pairs: [string, unknown][];
  if (s.startsWith('{')) {
    try {
      pairs = Object.entries(JSON.parse(s) as Record<string, unknown>);
    } catch {
      throw new HyperparameterError('class_weight', 'not valid JSON');
    }
  } else pairs = s.split(',').map((p) => p.split(':').map((x) => x.trim()) as [string, string]);
  const out: Record<string, number> = {};
  for (const [k, val] of pairs) {
    const key = {
      benign: 'benign',
      b: 'benign',
      '0': 'benign',
      malignant: 'malignant',
      m: 'malignant',
      '1': 'malignant',
    }[String(k).toLowerCase()];
    const w = Number(val);
    if (!key || !(w > 0) || !Number.isFinite(w)) {
      throw new HyperparameterError(
        'class_weight',
        `expected 'balanced', 'none' or 'benign:<w>,malignant:<w>' with positive weights, got ${JSON.stringify(v)}`,
      );
    }
    out[key] = w;
  }
  if (out.benign === undefined || out.malignant === undefined) {
    throw new HyperparameterError('class_weight', 'give a weight for both benign and malignant');
  }
  return { benign: out.benign, malignant: out.malignant };
}

/** Parses SageMaker's hyperparameters object; throws HyperparameterError naming the key. */
export function parseHyperparameters(raw: Record<string, unknown>): TrainingSettings {
  const known = new Set<string>(HYPERPARAMETER_KEYS);
  const v: Record<string, Raw> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (key.startsWith('sagemaker_')) continue;
    if (!known.has(key)) {
      throw new HyperparameterError(
        key,
        `unknown hyperparameter (accepted: ${HYPERPARAMETER_KEYS.join(', ')})`,
      );
    }
    if (value !== null && !['string', 'number', 'boolean'].includes(typeof value)) {
      throw new HyperparameterError(key, 'expected a string value');
    }
    v[key] = value as Raw;
  }
  const forest: Partial<ForestHyperparameters> = {};
  if ('n_estimators' in v) forest.nEstimators = int('n_estimators', v.n_estimators, 1, 10_000);
  if ('max_features' in v) forest.maxFeatures = maxFeatures(v.max_features);
  if ('max_depth' in v)
    forest.maxDepth = isNone(text(v.max_depth)) ? null : int('max_depth', v.max_depth, 1);
  if ('min_samples_leaf' in v)
    forest.minSamplesLeaf = int('min_samples_leaf', v.min_samples_leaf, 1);
  if ('min_samples_split' in v)
    forest.minSamplesSplit = int('min_samples_split', v.min_samples_split, 2);
  if ('bootstrap' in v) forest.bootstrap = bool('bootstrap', v.bootstrap);
  if ('max_samples' in v)
    forest.maxSamples = isNone(text(v.max_samples)) ? null : num('max_samples', v.max_samples);
  if ('class_weight' in v) forest.classWeight = classWeight(v.class_weight);
  let resolved: ForestHyperparameters;
  try {
    resolved = resolveHyperparameters(forest);
  } catch (err) {
    // Report SageMaker's snake_case name, not the internal camelCase one.
    if (err instanceof HyperparameterError) {
      const snake = err.key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
      throw new HyperparameterError(snake, err.message.replace(/^hyperparameter \S+: /, ''));
    }
    throw err;
  }
  let targetSensitivity = 0.95;
  if ('target_sensitivity' in v) {
    targetSensitivity = num('target_sensitivity', v.target_sensitivity);
    if (!(targetSensitivity > 0 && targetSensitivity <= 1)) {
      throw new HyperparameterError(
        'target_sensitivity',
        `expected a number in (0, 1], got ${JSON.stringify(v.target_sensitivity)}`,
      );
    }
  }
  let sensitivityConfidence = 0.95;
  if ('sensitivity_confidence' in v) {
    sensitivityConfidence = num('sensitivity_confidence', v.sensitivity_confidence);
    if (!(sensitivityConfidence >= 0 && sensitivityConfidence < 1)) {
      throw new HyperparameterError(
        'sensitivity_confidence',
        `expected a number in [0, 1), got ${JSON.stringify(v.sensitivity_confidence)}`,
      );
    }
  }
  let calibration: 'platt' | 'none' = 'platt';
  if ('calibration' in v) {
    const s = text(v.calibration).toLowerCase();
    if (s !== 'platt' && s !== 'none') {
      throw new HyperparameterError(
        'calibration',
        `expected 'platt' or 'none', got ${JSON.stringify(v.calibration)}`,
      );
    }
    calibration = s;
  }
  let cvFolds: number | 'auto' = 'auto';
  if ('cv_folds' in v && text(v.cv_folds).toLowerCase() !== 'auto') {
    cvFolds = int('cv_folds', v.cv_folds, 0, 50);
    if (cvFolds === 1)
      throw new HyperparameterError('cv_folds', 'expected 0 (skip), auto, or 2 to 50');
  }
  const datasetId = 'dataset_id' in v ? text(v.dataset_id) : undefined;
  if (datasetId !== undefined && (datasetId.length === 0 || datasetId.length > 256)) {
    throw new HyperparameterError('dataset_id', 'expected 1 to 256 characters');
  }
  return {
    forest: resolved,
    seed: 'seed' in v ? int('seed', v.seed, 0, 0xffffffff) : 42,
    targetSensitivity,
    sensitivityConfidence,
    calibration,
    cvFolds,
    permutationRepeats:
      'permutation_repeats' in v ? int('permutation_repeats', v.permutation_repeats, 0, 100) : 5,
    workers: 'workers' in v ? int('workers', v.workers, 0, 256) : undefined,
    datasetId,
  };
}
