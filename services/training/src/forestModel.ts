import { loadModel } from '@cancer-mlops/shared/domain/model/loaded.ts';
import type { ModelLoader } from './modelScoring.ts';

/** The model file inside a model folder, as the container writes it. */
export const MODEL_FILE = 'model.bin';

/**
 * The shared model code behind the training service's ScoringModel: the same loader the
 * container serves with, so registration evaluates exactly what will be deployed.
 */
export const loadForestModel: ModelLoader = (files) => {
  const bytes = files.get(MODEL_FILE);
  if (!bytes)
    throw new Error(
      `the model folder has no ${MODEL_FILE} (files: ${[...files.keys()].join(', ') || 'none'})`,
    );
  const model = loadModel(bytes);
  return {
    features: model.features,
    threshold: model.threshold,
    predict: (rows) => model.predictProba(rows, rows.length / model.features.length),
  };
};
