import type { TrainedForest } from '../forest/types.ts';
import type { Calibration } from '../metrics/calibration.ts';
import type { ModelArtifact } from './artifact.ts';
import { MODEL_FORMAT_VERSION } from './artifact.ts';

export interface BuildArtifactOptions {
  datasetId: string;
  /** Predict malignant when calibrated probability >= threshold. */
  threshold: number;
  targetSensitivity: number;
  calibration?: Calibration;
  metrics?: Record<string, unknown>;
  /** Default now; pin it for byte-identical files. */
  createdAt?: string;
}

/** Packages a trained forest with what serving and audit need; serializeModel makes the file. */
export function buildArtifact(
  trained: TrainedForest,
  options: BuildArtifactOptions,
): ModelArtifact {
  return {
    forest: trained.forest,
    metadata: {
      formatVersion: MODEL_FORMAT_VERSION,
      createdAt: options.createdAt ?? new Date().toISOString(),
      features: [...trained.featureNames],
      hyperparameters: trained.hyperparameters,
      seed: trained.seed,
      datasetId: options.datasetId,
      nTrainRows: trained.nTrainRows,
      threshold: options.threshold,
      targetSensitivity: options.targetSensitivity,
      calibration: options.calibration ?? { method: 'identity' },
      metrics: options.metrics ?? {},
      impurityImportance: Array.from(trained.impurityImportance),
    },
  };
}
