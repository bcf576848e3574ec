import type { ServiceTopology } from '@cancer-mlops/shared/topology/types.ts';
import type { NameContext } from '@cancer-mlops/shared/topology/names.ts';
import {
  modelPackageGroup,
  jobPrefix,
  visibilityFor,
} from '@cancer-mlops/shared/topology/common.ts';
import { eventSource } from '@cancer-mlops/shared/contracts/events.ts';

const REQUEST_TIMEOUT = 300;
const REGISTER_TIMEOUT = 300;
const APPROVE_TIMEOUT = 60;

export const topology = (ctx: NameContext): ServiceTopology => ({
  service: 'training',
  description: 'Point-in-time datasets, training jobs, the model registry and the approval gate',
  dependsOn: ['ingest'],
  functions: [
    {
      name: 'requestTraining',
      handler: 'src/handlers/requestTraining.ts',
      description:
        'Build a point-in-time dataset and start a training job (one per idempotency key)',
      timeoutSeconds: REQUEST_TIMEOUT,
      memoryMb: 1024,
      // One at a time: two trainings for the same reason must never race.
      reservedConcurrency: 1,
      triggers: [{ type: 'sqs', queue: 'training-requests', batchSize: 1 }],
      permissions: [
        { kind: 'athena:query' },
        { kind: 'featurestore:read', featureGroup: 'patient-records' },
        { kind: 's3:write', bucket: 'artifacts', prefix: 'datasets/' },
        { kind: 's3:read', bucket: 'artifacts', prefix: 'state/training-' },
        { kind: 's3:write', bucket: 'artifacts', prefix: 'state/training-' },
        // Locks and marks are released by deleting them.
        { kind: 's3:delete', bucket: 'artifacts', prefix: 'state/training-' },
        {
          kind: 'sagemaker',
          actions: [
            'sagemaker:CreateTrainingJob',
            'sagemaker:DescribeTrainingJob',
            'sagemaker:AddTags',
          ],
          resource: 'training-job',
        },
        { kind: 'iam:passrole', role: 'sagemaker-execution' },
        { kind: 'events:put', bus: 'custom' },
      ],
    },
    {
      name: 'registerModel',
      handler: 'src/handlers/registerModel.ts',
      description:
        'On a finished training job: evaluate, write baselines, register a model package',
      timeoutSeconds: REGISTER_TIMEOUT,
      memoryMb: 1024,
      triggers: [
        {
          type: 'eventbridge',
          bus: 'default',
          pattern: {
            source: ['aws.sagemaker'],
            'detail-type': ['SageMaker Training Job State Change'],
            detail: {
              TrainingJobName: [{ prefix: jobPrefix(ctx) }],
              TrainingJobStatus: ['Completed', 'Failed', 'Stopped'],
            },
          },
        },
      ],
      permissions: [
        { kind: 's3:read', bucket: 'artifacts' },
        { kind: 's3:write', bucket: 'artifacts', prefix: 'models/' },
        { kind: 's3:write', bucket: 'artifacts', prefix: 'state/training-' },
        // Locks and marks are released by deleting them.
        { kind: 's3:delete', bucket: 'artifacts', prefix: 'state/training-' },
        { kind: 'sagemaker', actions: ['sagemaker:DescribeTrainingJob'], resource: 'training-job' },
        {
          kind: 'sagemaker',
          actions: [
            'sagemaker:CreateModelPackage',
            'sagemaker:ListModelPackages',
            'sagemaker:DescribeModelPackage',
          ],
          resource: 'model-package',
        },
        {
          kind: 'sagemaker',
          actions: ['sagemaker:CreateModelPackageGroup', 'sagemaker:DescribeModelPackageGroup'],
          resource: 'model-package-group',
        },
        { kind: 'events:put', bus: 'custom' },
      ],
    },
    {
      name: 'approveModel',
      handler: 'src/handlers/approveModel.ts',
      description:
        'Approval policy: thresholds and the champion; Approved or Rejected with the reason',
      timeoutSeconds: APPROVE_TIMEOUT,
      memoryMb: 512,
      reservedConcurrency: 1,
      triggers: [{ type: 'sqs', queue: 'approvals', batchSize: 1 }],
      permissions: [
        { kind: 's3:read', bucket: 'artifacts', prefix: 'models/' },
        { kind: 's3:read', bucket: 'artifacts', prefix: 'datasets/' },
        { kind: 's3:write', bucket: 'artifacts', prefix: 'ledger/' },
        { kind: 's3:read', bucket: 'artifacts', prefix: 'ledger/' },
        {
          kind: 'sagemaker',
          actions: [
            'sagemaker:DescribeModelPackage',
            'sagemaker:UpdateModelPackage',
            'sagemaker:ListModelPackages',
          ],
          resource: 'model-package',
        },
      ],
    },
  ],
  queues: [
    {
      name: 'training-requests',
      maxReceiveCount: 5,
      visibilityTimeoutSeconds: visibilityFor(REQUEST_TIMEOUT),
    },
    {
      name: 'approvals',
      maxReceiveCount: 5,
      visibilityTimeoutSeconds: visibilityFor(APPROVE_TIMEOUT),
    },
  ],
  buckets: [{ name: 'artifacts', expirations: [{ prefix: 'capture/', days: 90 }] }],
  rules: [
    {
      name: 'retraining-requested',
      bus: 'custom',
      pattern: {
        // training: the follow-up when enough new data arrived while a training ran.
        source: [eventSource('monitor'), eventSource('cli'), eventSource('training')],
        'detail-type': ['RetrainingRequested'],
      },
      targetQueue: 'training-requests',
    },
    {
      name: 'new-features',
      bus: 'custom',
      pattern: {
        source: [eventSource('scoring')],
        'detail-type': ['FeaturesWritten'],
        detail: { labelled: [{ numeric: ['>', 0] }] },
      },
      targetQueue: 'training-requests',
    },
    {
      name: 'weekly-training',
      bus: 'default',
      schedule: 'cron(0 3 ? * SUN *)',
      targetQueue: 'training-requests',
      input: {
        kind: 'training-request',
        reason: 'schedule',
        idempotency_key: 'schedule',
        requested_at: '1970-01-01T00:00:00Z',
      },
    },
    {
      name: 'package-pending',
      bus: 'default',
      pattern: {
        source: ['aws.sagemaker'],
        'detail-type': ['SageMaker Model Package State Change'],
        detail: {
          ModelPackageGroupName: [modelPackageGroup(ctx)],
          ModelApprovalStatus: ['PendingManualApproval'],
        },
      },
      targetQueue: 'approvals',
    },
  ],
});
