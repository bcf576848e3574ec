import type { ServiceTopology } from '@cancer-mlops/shared/topology/types.ts';
import type { NameContext } from '@cancer-mlops/shared/topology/names.ts';
import { eventSource } from '@cancer-mlops/shared/contracts/events.ts';
import { visibilityFor } from '@cancer-mlops/shared/topology/common.ts';

const REACT_TIMEOUT = 30;

export const topology = (_ctx: NameContext): ServiceTopology => ({
  service: 'monitor',
  description: 'Drift analysis of captured traffic and the retraining reaction',
  dependsOn: ['ingest', 'training'],
  functions: [
    {
      name: 'analyzeDrift',
      handler: 'src/handlers/analyzeDrift.ts',
      description: 'Compare captured requests with the training baseline; emit DriftDetected',
      timeoutSeconds: 900,
      memoryMb: 1024,
      triggers: [{ type: 'schedule', expression: 'rate(1 hour)' }],
      permissions: [
        { kind: 's3:read', bucket: 'artifacts' },
        { kind: 's3:write', bucket: 'artifacts', prefix: 'monitoring/' },
        { kind: 's3:write', bucket: 'artifacts', prefix: 'state/monitor' },
        { kind: 's3:read', bucket: 'raw', prefix: 'ground-truth/' },
        { kind: 'events:put', bus: 'custom' },
        // Which model version serves now, and where its package keeps the baseline.
        { kind: 'sagemaker', actions: ['sagemaker:DescribeEndpoint'], resource: 'endpoint' },
        {
          kind: 'sagemaker',
          actions: ['sagemaker:DescribeModelPackage'],
          resource: 'model-package',
        },
      ],
    },
    {
      name: 'reactToDrift',
      handler: 'src/handlers/reactToDrift.ts',
      description: 'Cooldown, dedupe and minimum evidence before RetrainingRequested',
      timeoutSeconds: REACT_TIMEOUT,
      memoryMb: 256,
      reservedConcurrency: 1,
      triggers: [{ type: 'sqs', queue: 'drift-reactions', batchSize: 1 }],
      permissions: [
        { kind: 's3:read', bucket: 'artifacts', prefix: 'monitoring/' },
        { kind: 's3:read', bucket: 'artifacts', prefix: 'state/' },
        { kind: 's3:write', bucket: 'artifacts', prefix: 'state/monitor' },
        { kind: 'events:put', bus: 'custom' },
        // Which model version serves now, and where its package keeps the baseline.
        { kind: 'sagemaker', actions: ['sagemaker:DescribeEndpoint'], resource: 'endpoint' },
        {
          kind: 'sagemaker',
          actions: ['sagemaker:DescribeModelPackage'],
          resource: 'model-package',
        },
      ],
    },
  ],
  queues: [
    {
      name: 'drift-reactions',
      maxReceiveCount: 5,
      visibilityTimeoutSeconds: visibilityFor(REACT_TIMEOUT),
    },
  ],
  buckets: [],
  rules: [
    {
      name: 'drift-detected',
      bus: 'custom',
      pattern: { source: [eventSource('monitor')], 'detail-type': ['DriftDetected'] },
      targetQueue: 'drift-reactions',
    },
  ],
});
