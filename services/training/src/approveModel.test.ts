import { MemoryMetrics } from '@cancer-mlops/shared/testing/memoryMetrics.ts';
import { modelFeatureNames } from '@cancer-mlops/shared/contracts/featureGroup.ts';
import { modelPackageStateChange } from '@cancer-mlops/shared/testing/factories.ts';
import { MemoryObjectStore, MemoryRegistry, clock } from '../test/fakes.ts';
import {
  approveModel,
  PackageStateChangeMessageSchema,
  UnknownModelPackageError,
  type ApproveModelDeps,
} from './approveModel.ts';
import { TrainingConfigSchema } from './config.ts';
import { csvLine } from './datasetCsv.ts';
import { createLedger, type Ledger } from '@cancer-mlops/shared/ledger/ledger.ts';
import type { ScoringModel } from './modelScoring.ts';

const FEATURES = modelFeatureNames();

/** A model whose probability is a fixed function of radius_mean: `quality` 1 separates perfectly. */
const modelBy = (flip: (x: number, i: number) => boolean): ScoringModel => ({
  features: FEATURES,
  threshold: 0.5,
  predict(rows) {
    const d = FEATURES.length;
    const j = FEATURES.indexOf('radius_mean');
    const out = new Float64Array(rows.length / d);
    for (let r = 0; r < out.length; r++) {
      const x = rows[r * d + j];
      out[r] = flip(x, r) ? 1 - x / 100 : x / 100;
    }
    return out;
  },
});

async function setup(env: Record<string, string> = {}) {
  const registry = new MemoryRegistry();
  const objects = new MemoryObjectStore();
  const now = clock();
  const ledger: Ledger = createLedger(objects, now);
  // Validation set of dataset ds-2: radius_mean 10..19, malignant from 15 up.
  let csv = csvLine(['record_id', 'diagnosis', ...FEATURES]);
  for (let i = 0; i < 10; i++)
    csv += csvLine([
      `r${i}`,
      10 + i >= 15 ? 'M' : 'B',
      ...FEATURES.map((f) => (f === 'radius_mean' ? String(10 + i) : '1')),
    ]);
  await objects.put('artifacts', 'datasets/ds-2/validation/validation.csv', csv);
  await objects.put('artifacts', 'models/job-champion/model.bin', 'CHAMPION');
  const models: Record<string, ScoringModel> = { CHAMPION: modelBy(() => false) };
  const deps: ApproveModelDeps = {
    registry,
    objects,
    ledger,
    config: TrainingConfigSchema.parse(env),
    loadModel: (files) => models[files.get('model.bin')!.toString()],
    metrics: new MemoryMetrics(),
  };
  return { deps, registry, ledger, models, objects, metrics: deps.metrics as MemoryMetrics };
}

const message = (arn: string, version = 1) =>
  PackageStateChangeMessageSchema.parse(
    modelPackageStateChange({
      group: 'cancer-prediction',
      version,
      arn,
      status: 'PendingManualApproval',
    }),
  );

async function serveChampion(registry: MemoryRegistry, ledger: Ledger) {
  const champion = await registry.seed({
    metrics: { roc_auc: 0.99, sensitivity: 0.97, threshold: 0.4 },
    status: 'Approved',
    trainingJob: 'job-champion',
  });
  await ledger.append({
    action: 'promoted',
    version: champion.version,
    package_arn: champion.arn,
    actor: 'deployer',
    reason: 'seed',
    serving: champion.version,
    serving_package_arn: champion.arn,
  });
  return champion;
}

describe('Function: approveModel', () => {
  it('approves a candidate that clears the floors when nothing serves yet, with the reason in the description and the ledger', async () => {
    // Prepare
    const { deps, registry, ledger } = await setup();
    const pkg = await registry.seed({
      metrics: { roc_auc: 0.995, sensitivity: 0.976, threshold: 0.31 },
    });

    // Act
    const out = await approveModel(deps, message(pkg.arn));

    // Assess
    expect(out.outcome).toBe('decided');
    expect(registry.updates).toEqual([
      {
        arn: pkg.arn,
        status: 'Approved',
        description:
          'policy approved v1: ROC AUC 0.9950 >= 0.97; sensitivity 0.9760 >= 0.95 at threshold 0.3100; no champion yet',
      },
    ]);
    expect(await ledger.entries()).toEqual([
      expect.objectContaining({
        action: 'approved',
        version: 1,
        actor: 'policy',
        reason: registry.updates[0].description,
      }),
    ]);
  });

  it('rejects a candidate below the sensitivity floor', async () => {
    // Prepare
    const { deps, registry, metrics } = await setup();
    const pkg = await registry.seed({
      metrics: { roc_auc: 0.995, sensitivity: 0.91, threshold: 0.5 },
    });

    // Act
    await approveModel(deps, message(pkg.arn));

    // Assess
    expect(registry.updates[0]).toMatchObject({
      status: 'Rejected',
      description: expect.stringMatching(/^policy rejected v1: sensitivity 0.9100 < 0.95/),
    });
    expect(metrics.counts).toEqual({ 'ApprovalDecisions{outcome=decided,status=Rejected}': 1 });
  });

  it("compares with the champion scored on the candidate's own validation set", async () => {
    // Prepare: the champion separates ds-2 perfectly (AUC 1); the candidate claims 0.99.
    const { deps, registry, ledger } = await setup();
    await serveChampion(registry, ledger);
    const pkg = await registry.seed({
      metrics: { roc_auc: 0.99, sensitivity: 0.97, threshold: 0.4 },
      datasetId: 'ds-2',
    });

    // Act
    await approveModel(deps, message(pkg.arn, 2));

    // Assess
    expect(registry.updates.at(-1)).toMatchObject({
      arn: pkg.arn,
      status: 'Rejected',
      description: expect.stringMatching(
        /AUC 0.9900 vs champion v1 1.0000 on the same validation set \(drop 0.0100 > 0.005\)/,
      ),
    });
  });

  it('waits for a person in manual mode, recording the recommendation', async () => {
    // Prepare
    const { deps, registry, ledger } = await setup({ APPROVAL_MODE: 'manual' });
    const pkg = await registry.seed({
      metrics: { roc_auc: 0.995, sensitivity: 0.976, threshold: 0.31 },
    });

    // Act
    const out = await approveModel(deps, message(pkg.arn));

    // Assess
    expect(out.outcome).toBe('awaiting-approval');
    expect(registry.updates).toEqual([]);
    expect((await registry.get(pkg.arn))!.status).toBe('PendingManualApproval');
    expect(await ledger.entries()).toEqual([
      expect.objectContaining({
        action: 'awaiting-approval',
        reason: expect.stringMatching(
          /^manual approval required; the policy recommends approval: /,
        ),
      }),
    ]);
  });

  it('uses the configured thresholds', async () => {
    // Prepare
    const { deps, registry } = await setup({ APPROVAL_MIN_AUC: '0.999' });
    const pkg = await registry.seed({
      metrics: { roc_auc: 0.995, sensitivity: 0.976, threshold: 0.31 },
    });

    // Act
    await approveModel(deps, message(pkg.arn));

    // Assess
    expect(registry.updates[0]).toMatchObject({
      status: 'Rejected',
      description: expect.stringMatching(/ROC AUC 0.9950 < 0.999/),
    });
  });

  it('leaves an already decided package alone (a repeated event)', async () => {
    // Prepare
    const { deps, registry } = await setup();
    const pkg = await registry.seed({
      metrics: { roc_auc: 0.995, sensitivity: 0.976 },
      status: 'Rejected',
    });
    const before = registry.updates.length;

    // Act
    const out = await approveModel(deps, message(pkg.arn));

    // Assess
    expect(out).toEqual({ outcome: 'already-decided', status: 'Rejected' });
    expect(registry.updates).toHaveLength(before);
  });

  it('fails permanently, with the reason, for a package the registry does not know', async () => {
    // Prepare
    const { deps } = await setup();
    const arn = 'arn:aws:sagemaker:us-east-1:123456789012:model-package/cancer-prediction/99';

    // Act
    const act = approveModel(deps, message(arn, 99));

    // Assess
    await expect(act).rejects.toThrow(UnknownModelPackageError);
    await expect(act).rejects.toThrow(
      `unknown model package ${arn}: the registry has no such package`,
    );
  });
});
