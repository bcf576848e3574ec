/** The loaded-model API that serving, batch and the inference proxy call. */
import { explainRow, predictRaw, predictRow } from '../forest/predict.ts';
import type { Forest } from '../forest/types.ts';
import { applyCalibration, applyCalibrationAll } from '../metrics/calibration.ts';
import type { ModelArtifact, ModelMetadata } from './artifact.ts';
import { checkFeatures, parseModel, sha256 } from './artifact.ts';

export type Label = 'malignant' | 'benign';

export interface FeatureContribution {
  feature: string;
  /** The value given (null when missing and replaced by the training median). */
  value: number | null;
  /** Change in raw P(malignant) credited to this feature; positive pushes towards malignant. */
  contribution: number;
}

export interface Explanation {
  /** Raw P(malignant) before looking at the row (mean of the trees' root values). */
  bias: number;
  /** One entry per model feature, in model feature order. */
  contributions: FeatureContribution[];
  /** bias + sum of contributions: the raw (uncalibrated) forest probability. */
  rawProbability: number;
  /** Calibrated probability, the one predictProba returns. */
  probability: number;
  prediction: Label;
}

export interface LoadedModelMetadata extends ModelMetadata {
  /** "rf-" + the first 12 hex digits of the file checksum: names this exact file. */
  modelId: string;
  /** SHA-256 of the file body, hex. */
  checksum: string;
  sizeBytes: number;
}

export interface LoadedModel {
  readonly metadata: LoadedModelMetadata;
  /** Input columns in the order rows must follow. */
  readonly features: readonly string[];
  /** Predict malignant when the calibrated probability >= threshold. */
  readonly threshold: number;
  /** The trees, for callers that spread prediction over threads (see predictPool.ts). */
  readonly forest: Forest;
  /** Calibrated P(malignant) of n row-major rows (NaN = missing); fills `out` when given. */
  predictProba(rows: Float64Array, n: number, out?: Float64Array): Float64Array;
  /** Uncalibrated forest probability (the mean of tree votes). */
  predictRawProba(rows: Float64Array, n: number, out?: Float64Array): Float64Array;
  /** Calibrated P(malignant) of one row. */
  predictOne(row: ArrayLike<number>): number;
  classify(probability: number): Label;
  /** Why: per-feature contributions to the raw probability, plus the calibrated result. */
  explain(row: ArrayLike<number>): Explanation;
}

export interface LoadOptions {
  /** Refuse the model unless its features are exactly these, in this order. */
  expectedFeatures?: readonly string[];
}

class ForestModel implements LoadedModel {
  readonly features: readonly string[];
  readonly threshold: number;
  readonly forest: Forest;

  constructor(
    artifact: ModelArtifact,
    readonly metadata: LoadedModelMetadata,
  ) {
    this.forest = artifact.forest;
    this.features = Object.freeze([...artifact.metadata.features]);
    this.threshold = artifact.metadata.threshold;
  }

  predictRawProba(rows: Float64Array, n: number, out?: Float64Array): Float64Array {
    return predictRaw(this.forest, rows, n, out);
  }

  predictProba(rows: Float64Array, n: number, out?: Float64Array): Float64Array {
    return applyCalibrationAll(this.metadata.calibration, predictRaw(this.forest, rows, n, out));
  }

  predictOne(row: ArrayLike<number>): number {
    this.checkRow(row);
    return applyCalibration(this.metadata.calibration, predictRow(this.forest, row, 0));
  }

  classify(probability: number): Label {
    return probability >= this.threshold ? 'malignant' : 'benign';
  }

  explain(row: ArrayLike<number>): Explanation {
    this.checkRow(row);
    const raw = explainRow(this.forest, row, 0);
    const probability = applyCalibration(this.metadata.calibration, raw.probability);
    return {
      bias: raw.bias,
      contributions: this.features.map((feature, f) => ({
        feature,
        value: Number.isNaN(row[f]) ? null : row[f],
        contribution: raw.contributions[f],
      })),
      rawProbability: raw.probability,
      probability,
      prediction: this.classify(probability),
    };
  }

  private checkRow(row: ArrayLike<number>): void {
    if (row.length !== this.features.length) {
      throw new RangeError(`expected ${this.features.length} feature values, got ${row.length}`);
    }
  }
}

const hex = (b: Uint8Array): string =>
  Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

/**
 * Verifies and loads a model file. Throws ModelLoadError with code 'corrupted' (bad magic,
 * checksum or structure), 'unsupported_version', or 'feature_mismatch' (expectedFeatures given
 * and different from the model's, in names or order).
 */
export function loadModel(bytes: Uint8Array, options: LoadOptions = {}): LoadedModel {
  const artifact = parseModel(bytes);
  if (options.expectedFeatures) checkFeatures(artifact.metadata.features, options.expectedFeatures);
  const checksum = hex(bytes.subarray(bytes.length - 32));
  return new ForestModel(artifact, {
    ...artifact.metadata,
    modelId: `rf-${checksum.slice(0, 12)}`,
    checksum,
    sizeBytes: bytes.length,
  });
}

/** sha256 hex of arbitrary bytes (dataset ids, lineage). */
export function sha256Hex(bytes: Uint8Array): string {
  return hex(sha256(bytes));
}
