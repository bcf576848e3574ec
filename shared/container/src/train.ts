/**
 * `train`: SageMaker training entrypoint, also called in-process by the local runtime.
 *
 * Reads  <base>/input/data/train/*            CSV with a header (required)
 *        <base>/input/data/validation/*       same columns (optional)
 *        <base>/input/config/hyperparameters.json   strings (optional)
 * Writes <base>/model/model.bin               the model file (domain/model/artifact.ts)
 *        <base>/model/evaluation.json         the evaluation report
 *        <base>/output/failure                the reason, when training fails
 */
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { EvaluationReport } from '@cancer-mlops/shared/domain/model/train.ts';
import { trainModel } from '@cancer-mlops/shared/domain/model/train.ts';
import { HyperparameterError } from '@cancer-mlops/shared/domain/forest/hyperparameters.ts';
import { channelExists, DatasetError, readChannel } from './dataset.ts';
import type { TrainingSettings } from './hyperparameters.ts';
import { parseHyperparameters } from './hyperparameters.ts';
import { sagemakerPaths } from './paths.ts';

export interface TrainFromDirectoryOptions {
  /** Progress lines (JSON objects); default: none. Never receives row contents. */
  log?: (event: Record<string, unknown>) => void;
  /** Worker threads, overriding the `workers` hyperparameter (0 = calling thread). */
  workers?: number;
  /** Model creation time; default SOURCE_DATE_EPOCH when set (reproducible files), else now. */
  createdAt?: string;
}

export interface TrainFromDirectoryResult {
  modelPath: string;
  evaluationPath: string;
  report: EvaluationReport;
}

/** A failure the caller caused (bad data or settings), as opposed to a bug. */
export class TrainingInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TrainingInputError';
  }
}

async function readHyperparameters(path: string): Promise<TrainingSettings> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return parseHyperparameters({}); // no file: defaults
  }
  let raw: unknown;
  try {
    raw = text.trim() === '' ? {} : JSON.parse(text);
  } catch {
    throw new TrainingInputError('hyperparameters.json is not valid JSON');
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new TrainingInputError('hyperparameters.json must hold a JSON object');
  }
  return parseHyperparameters(raw as Record<string, unknown>);
}

async function writeAtomic(path: string, data: string | Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, data);
  await rename(tmp, path);
}

function createdAtDefault(): string {
  const epoch = process.env.SOURCE_DATE_EPOCH;
  if (epoch && /^\d+$/.test(epoch)) return new Date(Number(epoch) * 1000).toISOString();
  return new Date().toISOString();
}

async function run(
  baseDir: string,
  options: TrainFromDirectoryOptions,
): Promise<TrainFromDirectoryResult> {
  const log = options.log ?? (() => {});
  const paths = sagemakerPaths(baseDir);
  const settings = await readHyperparameters(paths.hyperparameters);
  const train = await readChannel(paths.channel('train'), 'train');
  log({
    event: 'train-data',
    rows: train.rows,
    malignant: train.malignant,
    features: train.features.length,
  });
  if (train.malignant === 0 || train.malignant === train.rows) {
    throw new TrainingInputError(
      `train channel holds one class only (${train.malignant === 0 ? 'benign' : 'malignant'}); both are needed`,
    );
  }
  let validation = null;
  if (await channelExists(paths.channel('validation'))) {
    validation = await readChannel(paths.channel('validation'), 'validation');
    const a = train.features.join(',');
    if (validation.features.join(',') !== a) {
      const missing = train.features.filter((f) => !validation!.features.includes(f));
      const extra = validation.features.filter((f) => !train.features.includes(f));
      const detail =
        missing.length || extra.length
          ? `missing in validation: ${missing.join(', ') || 'none'}; only in validation: ${extra.join(', ') || 'none'}`
          : 'same columns in a different order';
      throw new TrainingInputError(
        `feature columns differ between train and validation (${detail})`,
      );
    }
    log({ event: 'validation-data', rows: validation.rows, malignant: validation.malignant });
  }
  const datasetId =
    settings.datasetId ??
    `sha256:${(validation ? `${train.digest}+${validation.digest}` : train.digest).slice(0, 32)}`;
  const started = Date.now();
  const { bytes, report } = await trainModel(train.X, train.y, train.features, {
    hyperparameters: settings.forest,
    seed: settings.seed,
    datasetId,
    targetSensitivity: settings.targetSensitivity,
    sensitivityConfidence: settings.sensitivityConfidence,
    calibration: settings.calibration,
    validation: validation ? { X: validation.X, y: validation.y } : null,
    cvFolds: settings.cvFolds,
    permutationRepeats: settings.permutationRepeats,
    workers: options.workers ?? settings.workers,
    createdAt: options.createdAt ?? createdAtDefault(),
    onFallback: (reason) => log({ event: 'workers-unavailable', reason }),
  });
  await writeAtomic(paths.model, bytes);
  await writeAtomic(paths.evaluation, `${JSON.stringify(report, null, 2)}\n`);
  log({
    event: 'model-written',
    modelId: report.modelId,
    bytes: bytes.length,
    seconds: (Date.now() - started) / 1000,
    threshold: report.threshold.threshold,
    oobRocAuc: report.oob?.rocAuc ?? null,
    validationRocAuc: report.validation?.rocAuc ?? null,
  });
  return { modelPath: paths.model, evaluationPath: paths.evaluation, report };
}

/**
 * Trains from a SageMaker-shaped folder. On failure writes the reason to output/failure (and
 * removes any stale one on success) and rethrows, so the process can exit non-zero.
 */
export async function trainFromDirectory(
  baseDir: string,
  options: TrainFromDirectoryOptions = {},
): Promise<TrainFromDirectoryResult> {
  const paths = sagemakerPaths(baseDir);
  await rm(paths.failure, { force: true });
  try {
    return await run(baseDir, options);
  } catch (err) {
    const known =
      err instanceof TrainingInputError ||
      err instanceof DatasetError ||
      err instanceof HyperparameterError ||
      err instanceof RangeError; // the domain's input checks
    const message = err instanceof Error ? err.message : String(err);
    // SageMaker shows the failure file as the job's FailureReason (first 1024 characters).
    const reason = known ? `ClientError: ${message}` : `AlgorithmError: ${message}`;
    await mkdir(paths.outputDir, { recursive: true });
    await writeFile(paths.failure, `${reason}\n`);
    throw err;
  }
}
