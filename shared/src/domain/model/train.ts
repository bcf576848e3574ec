/**
 * The training pipeline shared by the SageMaker container and the local runtime: forest ->
 * calibration on out-of-bag predictions -> operating threshold for the target sensitivity ->
 * metrics (OOB, validation, cross-validation, leakage guard, importances) -> model file.
 *
 * Run it in a job process (container `train`, a child process): the forest itself is grown on
 * worker threads, but cross-validation and importances run in the calling thread.
 */
import { trainForest } from '../forest/forest.ts';
import type { ForestHyperparameters } from '../forest/hyperparameters.ts';
import { resolveHyperparameters } from '../forest/hyperparameters.ts';
import { permutationImportance } from '../forest/importance.ts';
import { trainForestParallel } from '../forest/parallel.ts';
import { predictRaw } from '../forest/predict.ts';
import type { TrainedForest } from '../forest/types.ts';
import type { Calibration, CalibrationBin } from '../metrics/calibration.ts';
import { applyCalibration, calibrationTable, fitPlatt } from '../metrics/calibration.ts';
import type { BinaryMetrics } from '../metrics/classification.ts';
import { evaluateBinary, rocAuc } from '../metrics/classification.ts';
import type { ThresholdChoice } from '../metrics/threshold.ts';
import { chooseThreshold } from '../metrics/threshold.ts';
import type { ModelArtifact } from './artifact.ts';
import { MODEL_FORMAT_VERSION, serializeModel } from './artifact.ts';
import { buildArtifact } from './build.ts';
import { crossValidateForest } from './crossValidate.ts';
import { sha256Hex } from './loaded.ts';

export interface TrainModelOptions {
  hyperparameters?: Partial<ForestHyperparameters>;
  /** Default 42. */
  seed?: number;
  /** Lineage: the snapshot the rows came from. */
  datasetId: string;
  /** Share of malignant cases the threshold must catch on OOB predictions; default 0.95. */
  targetSensitivity?: number;
  /**
   * One-sided confidence that the threshold reaches targetSensitivity on new rows (Wilson bound
   * on the OOB malignant rows); default 0.95; 0 = the observed OOB share alone.
   */
  sensitivityConfidence?: number;
  /** 'platt' (default) or 'none'. */
  calibration?: 'platt' | 'none';
  validation?: { X: Float64Array; y: Uint8Array } | null;
  /** Folds for cross-validation; 'auto' (default) = 5 when n <= 20000, else skipped; 0 = skip. */
  cvFolds?: number | 'auto';
  /** Permutation-importance repeats; default 5; 0 = skip. */
  permutationRepeats?: number;
  /** Worker threads for the forest; default all cores; 0 = calling thread. */
  workers?: number;
  /** Stored in the model; default now. Pin it for byte-identical files. */
  createdAt?: string;
  /** The note-derived feature the leakage guard looks at. */
  scoreFeature?: string;
  onFallback?: (reason: string) => void;
}

/** Metrics of calibrated probabilities at the chosen threshold, with a reliability table. */
type Metrics = BinaryMetrics & { calibrationTable: CalibrationBin[] };

export interface VariantResult {
  features: string[];
  trained: TrainedForest;
  workersUsed: number;
  calibration: Calibration;
  threshold: ThresholdChoice;
  /** Where calibration and threshold were fitted. */
  basis: 'oob' | 'validation';
  oob: (Metrics & { covered: number; rawCalibrationTable: CalibrationBin[] }) | null;
  validation: Metrics | null;
}

export interface LeakageReport {
  scoreFeature: string;
  present: boolean;
  /** 'validation' when a validation channel was given, else 'oob'. */
  basis: 'validation' | 'oob' | null;
  withScore: BinaryMetrics | null;
  withoutScore: BinaryMetrics | null;
  /** ROC AUC of the score column alone against the label (1 = it restates the diagnosis). */
  scoreAloneRocAuc: number | null;
  /** withScore.rocAuc - withoutScore.rocAuc. */
  rocAucGain: number | null;
  warning: string | null;
}

export interface EvaluationReport {
  reportVersion: 1;
  modelFormatVersion: number;
  modelId: string;
  createdAt: string;
  datasetId: string;
  features: string[];
  hyperparameters: ForestHyperparameters;
  seed: number;
  rows: { train: number; trainMalignant: number; validation: number; validationMalignant: number };
  workersUsed: number;
  calibration: Calibration;
  threshold: ThresholdChoice & { basis: 'oob' | 'validation' };
  oob: VariantResult['oob'];
  validation: VariantResult['validation'];
  crossValidation:
    | {
        folds: number;
        seed: number;
        perFold: { n: number; rocAuc: number; accuracy: number }[];
        meanRocAuc: number;
        stdRocAuc: number;
        meanAccuracy: number;
      }
    | { skipped: string };
  leakage: LeakageReport;
  importances: {
    permutationBasis: 'held-out' | 'oob' | null;
    features: {
      feature: string;
      impurity: number;
      permutationMean: number | null;
      permutationStd: number | null;
    }[];
  };
}

export interface TrainModelResult {
  artifact: ModelArtifact;
  /** The model file. */
  bytes: Uint8Array;
  report: EvaluationReport;
}

function dropColumn(X: Float64Array, d: number, col: number): Float64Array {
  const n = X.length / d;
  const out = new Float64Array(n * (d - 1));
  for (let i = 0; i < n; i++) {
    for (let f = 0, g = 0; f < d; f++) if (f !== col) out[i * (d - 1) + g++] = X[i * d + f];
  }
  return out;
}

function column(X: Float64Array, d: number, col: number): Float64Array {
  const n = X.length / d;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = X[i * d + col];
  return out;
}

/** Forest + calibration + threshold + metrics for one feature set. */
async function fitVariant(
  X: Float64Array,
  y: Uint8Array,
  features: string[],
  options: TrainModelOptions,
  validation: { X: Float64Array; y: Uint8Array } | null,
): Promise<VariantResult> {
  const hp = resolveHyperparameters(options.hyperparameters);
  const seed = options.seed ?? 42;
  const workers = options.workers;
  const trained =
    workers === 0
      ? { ...trainForest(X, y, features, hp, { seed }), workersUsed: 0 }
      : await trainForestParallel(X, y, features, hp, {
          seed,
          workers,
          onFallback: options.onFallback,
        });

  // Calibration and threshold come from predictions the trees did not train on.
  let srcY: Uint8Array;
  let srcP: Float64Array;
  let basis: 'oob' | 'validation';
  const oobP = trained.oob?.probabilities ?? null;
  const valRaw = validation ? predictRaw(trained.forest, validation.X, validation.y.length) : null;
  if (oobP && trained.oob && trained.oob.covered > 0) {
    const keep: number[] = [];
    for (let i = 0; i < y.length; i++) if (!Number.isNaN(oobP[i])) keep.push(i);
    srcY = Uint8Array.from(keep, (i) => y[i]);
    srcP = Float64Array.from(keep, (i) => oobP[i]);
    basis = 'oob';
  } else if (validation && valRaw) {
    srcY = validation.y;
    srcP = valRaw;
    basis = 'validation';
  } else {
    throw new RangeError(
      'no out-of-bag predictions (bootstrap is off): give a validation channel to calibrate and choose the threshold',
    );
  }
  const calibration: Calibration =
    options.calibration === 'none' ? { method: 'identity' } : fitPlatt(srcY, srcP);
  const cal = (p: Float64Array): Float64Array => p.map((v) => applyCalibration(calibration, v));
  const srcCal = cal(srcP);
  const threshold = chooseThreshold(
    srcY,
    srcCal,
    options.targetSensitivity ?? 0.95,
    options.sensitivityConfidence ?? 0.95,
  );

  const metrics = (yy: Uint8Array, pc: Float64Array): Metrics => ({
    ...evaluateBinary(yy, pc, threshold.threshold),
    calibrationTable: calibrationTable(yy, pc),
  });
  const oob =
    basis === 'oob'
      ? {
          ...metrics(srcY, srcCal),
          covered: srcY.length,
          rawCalibrationTable: calibrationTable(srcY, srcP),
        }
      : null;
  const val = validation && valRaw ? metrics(validation.y, cal(valRaw)) : null;
  return {
    features,
    trained,
    workersUsed: trained.workersUsed,
    calibration,
    threshold,
    basis,
    oob,
    validation: val,
  };
}

function summary(m: BinaryMetrics | null): Record<string, unknown> | null {
  if (!m) return null;
  const { rocAuc: auc, prAuc, accuracy, sensitivity, specificity, precision, f1, brier, n } = m;
  return { n, rocAuc: auc, prAuc, accuracy, sensitivity, specificity, precision, f1, brier };
}

/**
 * Trains, evaluates and packages a model. X is row-major n x d (NaN = missing), y 1 = malignant.
 */
export async function trainModel(
  X: Float64Array,
  y: Uint8Array,
  featureNames: readonly string[],
  options: TrainModelOptions,
): Promise<TrainModelResult> {
  const features = [...featureNames];
  const d = features.length;
  const hp = resolveHyperparameters(options.hyperparameters);
  const seed = options.seed ?? 42;
  const validation = options.validation ?? null;
  if (validation && validation.X.length !== validation.y.length * d) {
    throw new RangeError(`validation rows must have the ${d} training features`);
  }
  const main = await fitVariant(X, y, features, options, validation);

  // Leakage guard: the same procedure without the note score, side by side.
  const scoreFeature = options.scoreFeature ?? 'malignancy_risk_score';
  const scoreCol = features.indexOf(scoreFeature);
  const leakage: LeakageReport = {
    scoreFeature,
    present: scoreCol >= 0,
    basis: null,
    withScore: null,
    withoutScore: null,
    scoreAloneRocAuc: null,
    rocAucGain: null,
    warning: null,
  };
  if (scoreCol >= 0 && d > 1) {
    const without = await fitVariant(
      dropColumn(X, d, scoreCol),
      y,
      features.filter((_, f) => f !== scoreCol),
      options,
      validation ? { X: dropColumn(validation.X, d, scoreCol), y: validation.y } : null,
    );
    leakage.basis = validation ? 'validation' : 'oob';
    leakage.withScore = validation ? main.validation : main.oob;
    leakage.withoutScore = validation ? without.validation : without.oob;
    const basisY = validation ? validation.y : y;
    const scores = column(validation ? validation.X : X, d, scoreCol);
    const keep: number[] = [];
    for (let i = 0; i < scores.length; i++) if (!Number.isNaN(scores[i])) keep.push(i);
    const ky = keep.map((i) => basisY[i]);
    if (ky.includes(0) && ky.includes(1)) {
      leakage.scoreAloneRocAuc = rocAuc(
        ky,
        keep.map((i) => scores[i]),
      );
    }
    const a = leakage.withScore?.rocAuc;
    const b = leakage.withoutScore?.rocAuc;
    if (a != null && b != null) leakage.rocAucGain = a - b;
    if (leakage.scoreAloneRocAuc !== null && leakage.scoreAloneRocAuc >= 0.98) {
      leakage.warning =
        `${scoreFeature} alone separates the classes (ROC AUC ${leakage.scoreAloneRocAuc.toFixed(3)}): ` +
        'the note score may restate the diagnosis rather than add evidence';
    } else if (leakage.rocAucGain !== null && leakage.rocAucGain > 0.02) {
      leakage.warning =
        `${scoreFeature} raises ROC AUC by ${leakage.rocAucGain.toFixed(3)}: check that the notes ` +
        'were written before the diagnosis was known';
    }
  }

  // Cross-validation (cheap data only unless asked for).
  let crossValidation: EvaluationReport['crossValidation'];
  const cv = options.cvFolds ?? 'auto';
  const folds = cv === 'auto' ? (y.length <= 20_000 ? 5 : 0) : cv;
  let positives = 0;
  for (let i = 0; i < y.length; i++) positives += y[i];
  if (folds === 0) {
    crossValidation = {
      skipped: cv === 'auto' ? 'more than 20000 rows (set cv_folds to force it)' : 'cv_folds is 0',
    };
  } else if (Math.min(positives, y.length - positives) < folds) {
    crossValidation = { skipped: `fewer than ${folds} rows in the smaller class` };
  } else {
    const { outOfFold: _unused, ...rest } = crossValidateForest(X, y, features, hp, {
      folds,
      seed,
    });
    crossValidation = rest;
  }

  // Importances.
  const repeats = options.permutationRepeats ?? 5;
  let permutation: { mean: Float64Array; std: Float64Array } | null = null;
  let permutationBasis: 'held-out' | 'oob' | null = null;
  if (repeats > 0) {
    const heldOut = validation && validation.y.includes(0) && validation.y.includes(1);
    if (heldOut) {
      permutation = permutationImportance(main.trained.forest, validation.X, validation.y, {
        repeats,
        seed,
      });
      permutationBasis = 'held-out';
    } else if (main.trained.oob) {
      permutation = permutationImportance(main.trained.forest, X, y, {
        repeats,
        seed,
        oob: { hyperparameters: hp, seed: main.trained.seed },
      });
      permutationBasis = 'oob';
    }
  }

  const createdAt = options.createdAt ?? new Date().toISOString();
  const artifact: ModelArtifact = buildArtifact(main.trained, {
    datasetId: options.datasetId,
    threshold: main.threshold.threshold,
    targetSensitivity: main.threshold.targetSensitivity,
    calibration: main.calibration,
    createdAt,
    metrics: {
      thresholdBasis: main.basis,
      thresholdConfidence: main.threshold.confidence,
      oob: summary(main.oob),
      validation: summary(main.validation),
      crossValidation:
        'meanRocAuc' in crossValidation
          ? {
              folds: crossValidation.folds,
              meanRocAuc: crossValidation.meanRocAuc,
              meanAccuracy: crossValidation.meanAccuracy,
            }
          : null,
      leakage: {
        scoreFeature,
        withScoreRocAuc: leakage.withScore?.rocAuc ?? null,
        withoutScoreRocAuc: leakage.withoutScore?.rocAuc ?? null,
        scoreAloneRocAuc: leakage.scoreAloneRocAuc,
        warning: leakage.warning,
      },
    },
  });
  const bytes = serializeModel(artifact);
  const validationPositives = validation ? validation.y.reduce((a, b) => a + b, 0) : 0;
  const report: EvaluationReport = {
    reportVersion: 1,
    modelFormatVersion: MODEL_FORMAT_VERSION,
    modelId: `rf-${sha256Hex(bytes.subarray(0, bytes.length - 32)).slice(0, 12)}`,
    createdAt,
    datasetId: options.datasetId,
    features,
    hyperparameters: hp,
    seed: main.trained.seed,
    rows: {
      train: y.length,
      trainMalignant: positives,
      validation: validation ? validation.y.length : 0,
      validationMalignant: validationPositives,
    },
    workersUsed: main.workersUsed,
    calibration: main.calibration,
    threshold: { ...main.threshold, basis: main.basis },
    oob: main.oob,
    validation: main.validation,
    crossValidation,
    leakage,
    importances: {
      permutationBasis,
      features: features.map((feature, f) => ({
        feature,
        impurity: main.trained.impurityImportance[f],
        permutationMean: permutation ? permutation.mean[f] : null,
        permutationStd: permutation ? permutation.std[f] : null,
      })),
    },
  };
  return { artifact, bytes, report };
}
