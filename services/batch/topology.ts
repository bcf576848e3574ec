import type { ServiceTopology } from '@cancer-mlops/shared/topology/types.ts';
import type { NameContext } from '@cancer-mlops/shared/topology/names.ts';
import { jobPrefix } from '@cancer-mlops/shared/topology/common.ts';

export const topology = (ctx: NameContext): ServiceTopology => ({
  service: 'batch',
  description: 'Nightly dumps in batch-in/ -> prediction files in batch-out/',
  dependsOn: ['ingest', 'training'],
  functions: [
    {
      name: 'onBatchObject',
      handler: 'src/handlers/onBatchObject.ts',
      description: 'Score notes, prepare the transform input and start a transform job',
      timeoutSeconds: 900,
      memoryMb: 1024,
      triggers: [{ type: 's3', bucket: 'batch-in', prefix: '' }],
      permissions: [
        { kind: 's3:read', bucket: 'batch-in' },
        // The job's manifest is read back when a notification comes twice.
        { kind: 's3:read', bucket: 'artifacts', prefix: 'batch/' },
        { kind: 's3:write', bucket: 'artifacts', prefix: 'batch/' },
        { kind: 's3:write', bucket: 'batch-out' },
        // What an earlier file of the same name left is removed before this one's are written.
        { kind: 's3:delete', bucket: 'batch-out' },
        { kind: 'bedrock:invoke' },
        // The serving model's version and package name the job's model.
        { kind: 'sagemaker', actions: ['sagemaker:DescribeEndpoint'], resource: 'endpoint' },
        {
          kind: 'sagemaker',
          actions: ['sagemaker:CreateTransformJob', 'sagemaker:AddTags'],
          resource: 'transform-job',
        },
      ],
    },
    {
      name: 'onTransformDone',
      handler: 'src/handlers/onTransformDone.ts',
      description: 'Join transform output to record ids, write the summary, emit BatchCompleted',
      timeoutSeconds: 900,
      memoryMb: 1024,
      triggers: [
        {
          type: 'eventbridge',
          bus: 'default',
          pattern: {
            source: ['aws.sagemaker'],
            'detail-type': ['SageMaker Transform Job State Change'],
            detail: {
              TransformJobName: [{ prefix: jobPrefix(ctx) }],
              TransformJobStatus: ['Completed', 'Failed', 'Stopped'],
            },
          },
        },
      ],
      permissions: [
        { kind: 's3:read', bucket: 'artifacts', prefix: 'batch/' },
        { kind: 's3:write', bucket: 'batch-out' },
        { kind: 'events:put', bus: 'custom' },
        {
          kind: 'sagemaker',
          actions: ['sagemaker:DescribeTransformJob'],
          resource: 'transform-job',
        },
      ],
    },
  ],
  queues: [],
  buckets: [{ name: 'batch-in' }, { name: 'batch-out' }],
  rules: [],
});
