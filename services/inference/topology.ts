import type { ServiceTopology } from '@cancer-mlops/shared/topology/types.ts';
import type { NameContext } from '@cancer-mlops/shared/topology/names.ts';
import { MODEL_PACKAGE_GROUP } from '@cancer-mlops/shared/topology/common.ts';

export const topology = (_ctx: NameContext): ServiceTopology => ({
  service: 'inference',
  description: "Deploys approved models and serves the doctors' POST /predict API",
  dependsOn: ['ingest', 'training'],
  functions: [
    {
      name: 'deployModel',
      handler: 'src/handlers/deployModel.ts',
      description: 'Blue/green deployment of an approved model package, rolled back on failure',
      timeoutSeconds: 900,
      memoryMb: 512,
      reservedConcurrency: 1,
      triggers: [
        {
          type: 'eventbridge',
          bus: 'default',
          pattern: {
            source: ['aws.sagemaker'],
            'detail-type': ['SageMaker Model Package State Change'],
            detail: {
              ModelPackageGroupName: [MODEL_PACKAGE_GROUP],
              ModelApprovalStatus: ['Approved'],
            },
          },
        },
      ],
      permissions: [
        {
          kind: 'sagemaker',
          actions: ['sagemaker:DescribeModelPackage'],
          resource: 'model-package',
        },
        {
          kind: 'sagemaker',
          actions: ['sagemaker:CreateModel', 'sagemaker:DescribeModel'],
          resource: 'model',
        },
        {
          kind: 'sagemaker',
          actions: ['sagemaker:CreateEndpointConfig'],
          resource: 'endpoint-config',
        },
        {
          kind: 'sagemaker',
          actions: [
            'sagemaker:CreateEndpoint',
            'sagemaker:UpdateEndpoint',
            'sagemaker:DescribeEndpoint',
          ],
          resource: 'endpoint',
        },
        { kind: 'iam:passrole', role: 'sagemaker-execution' },
        { kind: 's3:write', bucket: 'artifacts', prefix: 'ledger/' },
        { kind: 's3:read', bucket: 'artifacts', prefix: 'ledger/' },
        { kind: 'events:put', bus: 'custom' },
      ],
    },
    {
      name: 'predict',
      handler: 'src/handlers/predict.ts',
      description: 'POST /predict: validate, score the note, invoke the endpoint, explain',
      timeoutSeconds: 29,
      memoryMb: 1024,
      triggers: [{ type: 'http', method: 'POST', path: '/predict', auth: 'jwt' }],
      permissions: [
        { kind: 'bedrock:invoke' },
        { kind: 'sagemaker', actions: ['sagemaker:InvokeEndpoint'], resource: 'endpoint' },
        { kind: 's3:read', bucket: 'artifacts', prefix: 'ledger/' },
      ],
    },
    {
      name: 'describe',
      handler: 'src/handlers/describe.ts',
      description: 'GET /health and GET /model',
      timeoutSeconds: 10,
      memoryMb: 256,
      triggers: [
        { type: 'http', method: 'GET', path: '/health', auth: 'none' },
        { type: 'http', method: 'GET', path: '/model', auth: 'jwt' },
      ],
      permissions: [
        { kind: 'sagemaker', actions: ['sagemaker:DescribeEndpoint'], resource: 'endpoint' },
        { kind: 's3:read', bucket: 'artifacts', prefix: 'ledger/' },
      ],
    },
  ],
  queues: [],
  buckets: [],
  rules: [],
});
