/**
 * Cancer-prediction model API: what other services call.
 *
 * Train (in a job process: the SageMaker container, a local child process):
 *
 *   trainForest(X, y, featureNames, hyperparameters?, { seed?, oob? }): TrainedForest
 *     X: Float64Array, row-major n x d, NaN = missing; y: Uint8Array, 1 = malignant, 0 = benign.
 *     Blocks the calling thread. Same inputs + seed = byte-identical forest.
 *   trainForestParallel(X, y, featureNames, hyperparameters?, { seed?, oob?, workers? })
 *     : Promise<TrainedForest & { workersUsed }>   (../forest/parallel.ts; worker threads,
 *     byte-identical to trainForest; falls back to the calling thread if workers cannot start)
 *   trainModel(X, y, featureNames, { datasetId, hyperparameters?, seed?, targetSensitivity?,
 *     validation?, cvFolds?, workers?, createdAt?, ... }): Promise<{ artifact, bytes, report }>
 *     The whole pipeline: forest, Platt calibration on out-of-bag predictions, threshold
 *     reaching targetSensitivity (default 0.95) on calibrated OOB probabilities, metrics, the
 *     leakage guard (with / without malignancy_risk_score), importances; `bytes` is the model
 *     file, `report` the evaluation report (evaluation.json in the container).
 *   buildArtifact(trained, { ... }) / serializeModel(artifact): Uint8Array
 *     Lower level: package a forest you trained yourself.
 *
 * Serve:
 *
 *   loadModel(bytes, { expectedFeatures? }): LoadedModel
 *     Throws ModelLoadError with code 'corrupted' | 'unsupported_version' | 'feature_mismatch'.
 *   model.predictProba(rows: Float64Array, n, out?): Float64Array  calibrated P(malignant)
 *   model.predictOne(row): number                                   calibrated P(malignant)
 *   model.classify(p): 'malignant' | 'benign'                       p >= model.threshold
 *   model.explain(row): { bias, contributions: [{ feature, value, contribution }],
 *                         rawProbability, probability, prediction }
 *     Contributions are on the RAW (uncalibrated) forest probability:
 *     bias + sum(contribution) = rawProbability (to float rounding); probability is the
 *     calibrated value of rawProbability, the same number predictOne returns. Calibration is
 *     monotonic, so a contribution's sign means the same in both scales.
 *   model.threshold, model.features, model.metadata (formatVersion, modelId, features,
 *     hyperparameters, seed, datasetId, metrics, threshold, calibration, createdAt, ...)
 *   createPredictPool(model, { workers? }) (./predictPool.ts): batch prediction over threads.
 *
 * Missing values: a NaN feature value (an empty CSV field, JSON null) takes the training median
 * of that feature, stored in the model; training imputes the same way. Infinite values are
 * refused in training.
 */
export * from './artifact.ts';
export * from './loaded.ts';
export * from './train.ts';
export * from './crossValidate.ts';
export { buildArtifact } from './build.ts';
export type { BuildArtifactOptions } from './build.ts';
