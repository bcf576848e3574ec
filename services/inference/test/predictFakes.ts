import { WDBC_FEATURES, modelFeatureNames } from '@cancer-mlops/shared/contracts/featureGroup.ts';
import type { NoteScore } from '@cancer-mlops/shared/contracts/record.ts';
import type { NoteScorer } from '@cancer-mlops/shared/ports/noteScorer.ts';
import type {
  DeployedModel,
  Endpoints,
  InvokeOptions,
  ModelPackage,
  ModelRegistry,
} from '@cancer-mlops/shared/ports/sagemaker.ts';

/** WDBC's first row (842302, malignant), in feature order. */
export const WDBC_ROW_1 = [
  17.99, 10.38, 122.8, 1001, 0.1184, 0.2776, 0.3001, 0.1471, 0.2419, 0.07871, 1.095, 0.9053, 8.589,
  153.4, 0.006399, 0.04904, 0.05373, 0.01587, 0.03003, 0.006193, 25.38, 17.33, 184.6, 2019, 0.1622,
  0.6656, 0.7119, 0.2654, 0.4601, 0.1189,
];

export const measurements = (): Record<string, number> =>
  Object.fromEntries(WDBC_FEATURES.map((name, i) => [name, WDBC_ROW_1[i]]));

export const PACKAGE_ARN =
  'arn:aws:sagemaker:us-east-1:123456789012:model-package/cancer-prediction/4';

export const deployedModel = (): DeployedModel => ({
  endpoint: 'cancer-mlops-test-endpoint',
  version: 4,
  packageArn: PACKAGE_ARN,
  deployedAt: new Date('2026-01-02T03:04:05.000Z'),
});

export interface InvokeCall {
  body: string;
  contentType: string;
  accept: string;
  options?: InvokeOptions;
}

/**
 * An endpoint that answers as the container's serve does for one JSON instance with explain:
 * probability, class at the threshold, raw probability, bias and one contribution per model
 * feature. `statesThreshold` adds the threshold to the answer (the container may not).
 */
export function fakeEndpoints(
  options: {
    current?: DeployedModel | null;
    probability?: number;
    threshold?: number;
    statesThreshold?: boolean;
    fail?: Error;
  } = {},
): Pick<Endpoints, 'invoke' | 'current'> & { calls: InvokeCall[] } {
  const calls: InvokeCall[] = [];
  const names = modelFeatureNames();
  const current = options.current === undefined ? deployedModel() : options.current;
  return {
    calls,
    current: async () => current,
    invoke: async (body, contentType, accept, invokeOptions) => {
      calls.push({ body: String(body), contentType, accept, options: invokeOptions });
      if (options.fail) throw options.fail;
      const p = options.probability ?? 0.93;
      const threshold = options.threshold ?? 0.35;
      const instance = (JSON.parse(String(body)) as { instances: Record<string, number>[] })
        .instances[0];
      const contributions = names.map((feature, i) => ({
        feature,
        value: instance[feature],
        contribution: (i % 2 === 0 ? 1 : -1) * (i + 1) * 0.001,
      }));
      const prediction = {
        probability_malignant: p,
        prediction: p >= threshold ? 'malignant' : 'benign',
        ...(options.statesThreshold ? { threshold } : {}),
        raw_probability: p,
        bias: 0.37,
        contributions,
      };
      return {
        contentType: 'application/json',
        body: Buffer.from(JSON.stringify({ predictions: [prediction] })),
      };
    },
  };
}

export function fakeScorer(score = 8, fail?: Error): NoteScorer & { notes: string[] } {
  const notes: string[] = [];
  return {
    id: 'fake-scorer',
    promptVersion: 'v1',
    notes,
    score: async (note): Promise<NoteScore> => {
      notes.push(note);
      if (fail) throw fail;
      return {
        malignancy_risk_score: score,
        evidence: [{ quote: 'invasive ductal carcinoma', start: 0, end: 25, weight: 3 }],
        rationale: 'invasive carcinoma',
        scorer_id: 'fake-scorer',
        prompt_version: 'v1',
      };
    },
  };
}

export function fakeRegistry(pkg?: Partial<ModelPackage>): Pick<ModelRegistry, 'get'> {
  const full: ModelPackage = {
    arn: PACKAGE_ARN,
    version: 4,
    status: 'Approved',
    approvalDescription: 'policy: roc_auc 0.991 >= 0.97',
    group: 'cancer-prediction',
    description: 'rf',
    modelDataUrl: 's3://artifacts/models/x/',
    metrics: { roc_auc: 0.991, sensitivity: 0.976, threshold: 0.35 },
    reports: {
      modelQuality: 's3://a/q.json',
      dataStatistics: 's3://a/s.json',
      dataConstraints: 's3://a/c.json',
    },
    lineage: {
      datasetId: 'ds-1',
      datasetUri: 's3://a/datasets/ds-1/',
      codeVersion: 'abc123',
      trainingJob: 'cancer-mlops-test-train-1',
      hyperparameters: {},
      featureGroupVersion: 1,
    },
    createdAt: new Date('2026-01-01T00:00:00Z'),
    updatedAt: new Date('2026-01-01T00:00:00Z'),
    ...pkg,
  };
  return { get: async (arn) => (arn === full.arn || arn === full.version ? full : undefined) };
}
