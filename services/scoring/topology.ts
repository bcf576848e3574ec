import type { ServiceTopology } from '@cancer-mlops/shared/topology/types.ts';
import type { NameContext } from '@cancer-mlops/shared/topology/names.ts';
import { visibilityFor } from '@cancer-mlops/shared/topology/common.ts';

const SCORE_TIMEOUT = 60;
const WRITE_TIMEOUT = 30;

export const topology = (ctx: NameContext): ServiceTopology => ({
  service: 'scoring',
  description: 'Pathology notes -> malignancy_risk_score; records -> the feature store',
  dependsOn: ['ingest', 'training'],
  functions: [
    {
      name: 'scoreNote',
      handler: 'src/handlers/scoreNote.ts',
      description: 'Score a pathology note 1-10 (Bedrock, local scorer or OpenAI-compatible)',
      timeoutSeconds: SCORE_TIMEOUT,
      memoryMb: 512,
      triggers: [{ type: 'sqs', queue: 'notes-to-score', batchSize: 10, maximumBatchingWindow: 1 }],
      permissions: [
        { kind: 'bedrock:invoke' },
        { kind: 'sqs:send', queue: 'feature-writes' },
        { kind: 's3:read', bucket: 'artifacts', prefix: 'state/score-cache/' },
        { kind: 's3:write', bucket: 'artifacts', prefix: 'state/score-cache/' },
      ],
    },
    {
      name: 'writeFeatures',
      handler: 'src/handlers/writeFeatures.ts',
      description:
        'Write a scored record to the feature store (idempotent by record id + event time)',
      timeoutSeconds: WRITE_TIMEOUT,
      memoryMb: 256,
      triggers: [{ type: 'sqs', queue: 'feature-writes', batchSize: 10, maximumBatchingWindow: 1 }],
      permissions: [
        { kind: 'featurestore:put', featureGroup: 'patient-records' },
        // GetRecord: the duplicate check that keeps replays out of the offline store;
        // DeleteRecord: withdrawn records become delete markers.
        {
          kind: 'custom',
          sid: 'FeatureStoreGetDelete',
          actions: ['sagemaker:GetRecord', 'sagemaker:DeleteRecord'],
          resource:
            'arn:${AWS::Partition}:sagemaker:${AWS::Region}:${AWS::AccountId}:feature-group/' +
            `${ctx.prefix}-${ctx.stage}-patient-records`,
        },
        { kind: 'events:put', bus: 'custom' },
      ],
    },
  ],
  queues: [
    {
      name: 'notes-to-score',
      maxReceiveCount: 5,
      visibilityTimeoutSeconds: visibilityFor(SCORE_TIMEOUT),
    },
    {
      name: 'feature-writes',
      maxReceiveCount: 5,
      visibilityTimeoutSeconds: visibilityFor(WRITE_TIMEOUT),
    },
  ],
  buckets: [],
  rules: [],
});
