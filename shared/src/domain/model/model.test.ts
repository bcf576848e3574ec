import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { trainForest } from '../forest/forest.ts';
import { predictRow } from '../forest/predict.ts';
import { rocAuc } from '../metrics/classification.ts';
import { MODEL_FORMAT_VERSION, ModelLoadError, parseModel, serializeModel } from './artifact.ts';
import { buildArtifact } from './build.ts';
import { loadModel } from './loaded.ts';
import { trainModel } from './train.ts';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const lines = readFileSync(`${ROOT}data/wdbc.data`, 'utf8').trim().split('\n');
const D = 30;
const X = new Float64Array(lines.length * D);
const Y = new Uint8Array(lines.length);
lines.forEach((line, i) => {
  const c = line.split(',');
  Y[i] = c[1] === 'M' ? 1 : 0;
  for (let f = 0; f < D; f++) X[i * D + f] = Number(c[f + 2]);
});
const NAMES = Array.from({ length: D }, (_, f) => `f${f}`);
const CREATED = '2024-01-01T00:00:00.000Z';

const trained = trainForest(X, Y, NAMES, { nEstimators: 25 }, { seed: 1 });
const artifact = buildArtifact(trained, {
  datasetId: 'wdbc-test',
  threshold: 0.4,
  targetSensitivity: 0.95,
  calibration: { method: 'platt', a: -8, b: 4 },
  metrics: { oob: { rocAuc: trained.oob!.rocAuc } },
  createdAt: CREATED,
});
const bytes = serializeModel(artifact);

/** Rewrites the trailing checksum so a deliberate edit is not caught as corruption. */
function reseal(b: Uint8Array): Uint8Array {
  const out = b.slice();
  out.set(
    createHash('sha256')
      .update(out.subarray(0, out.length - 32))
      .digest(),
    out.length - 32,
  );
  return out;
}

function loadError(b: Uint8Array, expectedFeatures?: string[]): ModelLoadError {
  try {
    loadModel(b, { expectedFeatures });
  } catch (err) {
    if (err instanceof ModelLoadError) return err;
    throw err;
  }
  throw new Error('loaded');
}

describe('Function: serializeModel / loadModel', () => {
  it('round-trips: the loaded model predicts what the forest predicts, calibrated', () => {
    // Act
    const model = loadModel(bytes, { expectedFeatures: NAMES });

    // Assess
    const row = X.subarray(0, D);
    const raw = predictRow(trained.forest, row);
    expect(model.predictOne(row)).toBeCloseTo(1 / (1 + Math.exp(-8 * raw + 4)), 14);
    expect(model.predictProba(X, 3)[0]).toBe(model.predictOne(row));
    expect(model.predictRawProba(X, 1)[0]).toBe(raw);
    expect(model.threshold).toBe(0.4);
    expect(model.metadata).toMatchObject({
      formatVersion: MODEL_FORMAT_VERSION,
      features: NAMES,
      datasetId: 'wdbc-test',
      createdAt: CREATED,
      seed: 1,
      sizeBytes: bytes.length,
    });
    expect(model.metadata.modelId).toMatch(/^rf-[0-9a-f]{12}$/);
  });

  it('writes the same bytes for the same model, and reads them at any buffer offset', () => {
    // Prepare
    const again = serializeModel(
      buildArtifact(trainForest(X, Y, NAMES, { nEstimators: 25 }, { seed: 1 }), {
        datasetId: 'wdbc-test',
        threshold: 0.4,
        targetSensitivity: 0.95,
        calibration: { method: 'platt', a: -8, b: 4 },
        metrics: { oob: { rocAuc: trained.oob!.rocAuc } },
        createdAt: CREATED,
      }),
    );
    const shifted = new Uint8Array(bytes.length + 3);
    shifted.set(bytes, 3);

    // Assess
    expect(Buffer.from(again).equals(Buffer.from(bytes))).toBe(true);
    expect(loadModel(shifted.subarray(3)).predictOne(X.subarray(0, D))).toBe(
      loadModel(bytes).predictOne(X.subarray(0, D)),
    );
  });

  it('explains each prediction: bias + contributions = raw probability', () => {
    // Prepare
    const model = loadModel(bytes);
    const row = Float64Array.from(X.subarray(5 * D, 6 * D));
    row[3] = NaN;

    // Act
    const e = model.explain(row);

    // Assess
    const sum = e.contributions.reduce((a, c) => a + c.contribution, e.bias);
    expect(sum).toBeCloseTo(e.rawProbability, 12);
    expect(e.probability).toBe(model.predictOne(row));
    expect(e.prediction).toBe(e.probability >= 0.4 ? 'malignant' : 'benign');
    expect(e.contributions[3]).toMatchObject({ feature: 'f3', value: null });
    expect(e.contributions.map((c) => c.feature)).toEqual(NAMES);
  });

  it('refuses a corrupted file', () => {
    // Prepare
    const flipped = bytes.slice();
    flipped[bytes.length - 100] ^= 0xff;

    // Assess
    expect(loadError(flipped)).toMatchObject({
      code: 'corrupted',
      message: expect.stringMatching(/checksum/),
    });
    expect(loadError(bytes.subarray(0, 40)).code).toBe('corrupted');
    expect(loadError(new TextEncoder().encode('{"not":"a model"}'.padEnd(80))).message).toMatch(
      /not a model file/,
    );
  });

  it('refuses a file whose structure is broken even with a valid checksum', () => {
    // Prepare: point the first split's right child at itself (would loop forever).
    const m = parseModel(bytes);
    m.forest.right[0] = 0;
    const looping = serializeModel(m);

    // Assess
    expect(loadError(looping)).toMatchObject({
      code: 'corrupted',
      message: expect.stringMatching(/bad children/),
    });
  });

  it('refuses an unknown format version', () => {
    // Prepare
    const v2 = bytes.slice();
    new DataView(v2.buffer).setUint32(8, 2, true);

    // Assess
    expect(loadError(reseal(v2))).toMatchObject({
      code: 'unsupported_version',
      message: expect.stringMatching(/version 2/),
    });
  });

  it('refuses a model whose features differ from the request schema', () => {
    // Assess
    const renamed = [...NAMES.slice(0, -1), 'malignancy_risk_score'];
    const e = loadError(bytes, renamed);
    expect(e.code).toBe('feature_mismatch');
    expect(e.message).toMatch(/malignancy_risk_score/);
    expect(e.message).toMatch(/f29/);
    expect(loadError(bytes, [...NAMES].reverse()).message).toMatch(/different order/);
  });

  it('keeps a 100-tree WDBC model under 1 MB', () => {
    // Act
    const full = serializeModel(
      buildArtifact(trainForest(X, Y, NAMES, {}, { seed: 2 }), {
        datasetId: 'x',
        threshold: 0.5,
        targetSensitivity: 0.95,
      }),
    );

    // Assess
    expect(full.length).toBeLessThan(1024 * 1024);
  });
});

describe('Function: trainModel', () => {
  it('calibrates, picks the threshold for the target sensitivity and reports the leakage guard', async () => {
    // Prepare: a note score that restates the label.
    const d = D + 1;
    const Xs = new Float64Array(Y.length * d);
    for (let i = 0; i < Y.length; i++) {
      Xs.set(X.subarray(i * D, i * D + D), i * d);
      Xs[i * d + D] = Y[i] === 1 ? 9 : 2;
    }
    const names = [...NAMES, 'malignancy_risk_score'];

    // Act
    const { bytes: file, report } = await trainModel(Xs, Y, names, {
      datasetId: 'wdbc',
      hyperparameters: { nEstimators: 30 },
      workers: 0,
      cvFolds: 3,
      permutationRepeats: 1,
      createdAt: CREATED,
    });

    // Assess
    const model = loadModel(file, { expectedFeatures: names });
    expect(model.threshold).toBe(report.threshold.threshold);
    expect(report.threshold.basis).toBe('oob');
    expect(report.threshold.sensitivity).toBeGreaterThanOrEqual(0.95);
    expect(report.oob!.sensitivity).toBeGreaterThanOrEqual(0.95);
    expect(report.calibration.method).toBe('platt');
    expect(report.leakage.present).toBe(true);
    expect(report.leakage.scoreAloneRocAuc).toBe(1);
    expect(report.leakage.warning).toMatch(/restate the diagnosis/);
    expect(report.leakage.withoutScore!.rocAuc).toBeGreaterThan(0.95);
    expect(report.crossValidation).toMatchObject({ folds: 3 });
    expect(report.importances.features).toHaveLength(d);
    expect(report.importances.permutationBasis).toBe('oob');
    expect(report.modelId).toBe(model.metadata.modelId);
    // The calibrated OOB probabilities still rank as well as the raw ones.
    expect(report.oob!.rocAuc).toBeCloseTo(
      rocAuc(Y, trainForest(Xs, Y, names, { nEstimators: 30 }).oob!.probabilities),
      10,
    );
  });

  it('uses the validation set when bootstrap is off, and fails clearly without one', async () => {
    // Prepare
    const half = Math.floor(Y.length / 2);
    const options = {
      datasetId: 'w',
      hyperparameters: { nEstimators: 5, bootstrap: false },
      workers: 0,
      cvFolds: 0,
      permutationRepeats: 0,
    };

    // Act
    const { report } = await trainModel(X.subarray(0, half * D), Y.subarray(0, half), NAMES, {
      ...options,
      validation: { X: X.subarray(half * D), y: Y.subarray(half) },
    });

    // Assess
    expect(report.threshold.basis).toBe('validation');
    expect(report.oob).toBeNull();
    expect(report.validation!.n).toBe(Y.length - half);
    await expect(trainModel(X, Y, NAMES, options)).rejects.toThrow(/validation channel/);
  });
});
