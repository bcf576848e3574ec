import type { ServiceTopology } from '@cancer-mlops/shared/topology/types.ts';
import type { NameContext } from '@cancer-mlops/shared/topology/names.ts';
import { modelPackageGroup } from '@cancer-mlops/shared/topology/common.ts';

export const topology = (ctx: NameContext): ServiceTopology => ({
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
              ModelPackageGroupName: [modelPackageGroup(ctx)],
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
          // CreateEndpoint and UpdateEndpoint are authorised on the config they use, too.
          actions: [
            'sagemaker:CreateEndpointConfig',
            'sagemaker:CreateEndpoint',
            'sagemaker:UpdateEndpoint',
          ],
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
        // UpdateEndpoint names the rollback alarms; deployment guardrails check them.
        {
          kind: 'custom',
          sid: 'RollbackAlarms',
          actions: ['cloudwatch:DescribeAlarms'],
          resource: `arn:\${AWS::Partition}:cloudwatch:\${AWS::Region}:\${AWS::AccountId}:alarm:${ctx.prefix}-${ctx.stage}-*`,
        },
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
        // Which model serves (DescribeEndpoint), its threshold when the answer lacks one.
        {
          kind: 'sagemaker',
          actions: ['sagemaker:InvokeEndpoint', 'sagemaker:DescribeEndpoint'],
          resource: 'endpoint',
        },
        {
          kind: 'sagemaker',
          actions: ['sagemaker:DescribeModelPackage'],
          resource: 'model-package',
        },
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
        // GET /model describes the serving package.
        {
          kind: 'sagemaker',
          actions: ['sagemaker:DescribeModelPackage'],
          resource: 'model-package',
        },
      ],
    },
  ],
  queues: [],
  buckets: [],
  rules: [],
});
