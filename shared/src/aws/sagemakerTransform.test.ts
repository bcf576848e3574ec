import {
  CreateTransformJobCommand,
  ResourceInUse,
  SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import { mockClient } from 'aws-sdk-client-mock';
import type { TransformJobSpec } from '../ports/transform.ts';
import { buildSageMakerTransform } from './sagemakerTransform.ts';

const names = { prefix: 'cancer-mlops', stage: 'test' };
const spec: TransformJobSpec = {
  jobName: 'cancer-mlops-test-batch-20260101t000000-ab12',
  inputKey: 'batch/cancer-mlops-test-batch-20260101t000000-ab12/input.csv',
  outputPrefix: 'batch/cancer-mlops-test-batch-20260101t000000-ab12/output/',
  modelVersion: 3,
  packageArn: 'arn:aws:sagemaker:us-east-1:123456789012:model-package/cancer-prediction/3',
  contentType: 'text/csv',
  splitType: 'Line',
  batchStrategy: 'MultiRecord',
  assembleWith: 'Line',
  maxPayloadMb: 6,
  inputFilter: '$[1:]',
  joinSource: 'Input',
  outputFilter: '$[0,-2,-1]',
};

describe('Adapter: buildSageMakerTransform', () => {
  const sm = mockClient(SageMakerClient);
  afterEach(() => sm.reset());

  describe('Method: start', () => {
    it('creates a transform job that keeps the record id out of the model and joins it to the output', async () => {
      // Prepare
      sm.on(CreateTransformJobCommand).resolves({
        TransformJobArn: 'arn:aws:sagemaker:us-east-1:123456789012:transform-job/x',
      });
      const transform = buildSageMakerTransform(
        new SageMakerClient({ region: 'us-east-1' }),
        names,
      );
      // Act
      await transform.start(spec);
      // Assess
      const calls = sm.commandCalls(CreateTransformJobCommand);
      expect(calls).toHaveLength(1);
      expect(calls[0].args[0].input).toEqual({
        TransformJobName: spec.jobName,
        ModelName: 'cancer-mlops-test-model-v3',
        BatchStrategy: 'MultiRecord',
        MaxPayloadInMB: 6,
        ModelClientConfig: { InvocationsTimeoutInSeconds: 600, InvocationsMaxRetries: 1 },
        TransformInput: {
          DataSource: {
            S3DataSource: {
              S3DataType: 'S3Prefix',
              S3Uri: `s3://cancer-mlops-test-artifacts/${spec.inputKey}`,
            },
          },
          ContentType: 'text/csv',
          CompressionType: 'None',
          SplitType: 'Line',
        },
        TransformOutput: {
          S3OutputPath: `s3://cancer-mlops-test-artifacts/${spec.outputPrefix}`,
          Accept: 'text/csv',
          AssembleWith: 'Line',
        },
        DataProcessing: { InputFilter: '$[1:]', JoinSource: 'Input', OutputFilter: '$[0,-2,-1]' },
        TransformResources: { InstanceType: 'ml.m5.large', InstanceCount: 1 },
        Tags: [
          { Key: 'model-version', Value: '3' },
          { Key: 'model-package-arn', Value: spec.packageArn },
        ],
      });
    });

    it('uses the injected model naming, instance settings and concurrency', async () => {
      // Prepare
      sm.on(CreateTransformJobCommand).resolves({});
      const transform = buildSageMakerTransform(
        new SageMakerClient({ region: 'us-east-1' }),
        names,
        {
          modelName: (s) => `deployed-${s.modelVersion}`,
          instanceType: 'ml.c5.xlarge',
          instanceCount: 2,
        },
      );
      // Act
      await transform.start({
        ...spec,
        outputPrefix: 'batch/x/output',
        maxConcurrentTransforms: 4,
      });
      // Assess
      const input = sm.commandCalls(CreateTransformJobCommand)[0].args[0].input;
      expect(input.ModelName).toBe('deployed-3');
      expect(input.MaxConcurrentTransforms).toBe(4);
      expect(input.TransformResources).toEqual({ InstanceType: 'ml.c5.xlarge', InstanceCount: 2 });
      expect(input.TransformOutput?.S3OutputPath).toBe(
        's3://cancer-mlops-test-artifacts/batch/x/output/',
      );
    });

    it('treats a job name that already exists as started (a redelivered notification)', async () => {
      // Prepare
      sm.on(CreateTransformJobCommand).rejects(
        new ResourceInUse({
          message: 'Job name must be unique within an AWS account and region',
          $metadata: {},
        }),
      );
      const transform = buildSageMakerTransform(
        new SageMakerClient({ region: 'us-east-1' }),
        names,
      );
      // Act + Assess
      await expect(transform.start(spec)).resolves.toBeUndefined();
    });

    it('passes SageMaker errors through', async () => {
      // Prepare
      sm.on(CreateTransformJobCommand).rejects(
        Object.assign(new Error('Could not find model'), { name: 'ValidationException' }),
      );
      const transform = buildSageMakerTransform(
        new SageMakerClient({ region: 'us-east-1' }),
        names,
      );
      // Act + Assess
      await expect(transform.start(spec)).rejects.toThrow('Could not find model');
    });
  });
});
