import {
  CreateTrainingJobCommand,
  DescribeTrainingJobCommand,
  SageMakerClient,
  SageMakerServiceException,
} from '@aws-sdk/client-sagemaker';
import { mockClient } from 'aws-sdk-client-mock';
import { buildSageMakerTrainingJobs, SageMakerConfigSchema } from './sagemakerTraining.ts';

const names = { prefix: 'cancer-mlops', stage: 'test' };
const config = SageMakerConfigSchema.parse({
  TRAINING_IMAGE_URI: '123456789012.dkr.ecr.us-east-1.amazonaws.com/cancer-mlops:abc123',
  SAGEMAKER_ROLE_ARN: 'arn:aws:iam::123456789012:role/cancer-mlops-test-sagemaker-execution',
});

describe('Adapter: buildSageMakerTrainingJobs', () => {
  const sm = mockClient(SageMakerClient);
  const jobs = buildSageMakerTrainingJobs(
    new SageMakerClient({ region: 'us-east-1' }),
    names,
    config,
  );
  afterEach(() => sm.reset());

  describe('Method: start', () => {
    it('creates a training job with the container image, the role, both CSV channels, output, resources and string hyperparameters', async () => {
      // Prepare
      sm.on(CreateTrainingJobCommand).resolves({
        TrainingJobArn: 'arn:aws:sagemaker:us-east-1:123456789012:training-job/x',
      });

      // Act
      await jobs.start({
        jobName: 'cancer-mlops-test-train-20260105030000-ab12',
        datasetId: 'ds-20260105T030000Z',
        trainPrefix: 'datasets/ds-20260105T030000Z/train/',
        validationPrefix: 'datasets/ds-20260105T030000Z/validation/',
        outputPrefix: 'training-jobs/',
        hyperparameters: { n_estimators: '200', max_features: 'sqrt' },
        environment: { CODE_VERSION: 'abc123' },
      });

      // Assess
      expect(sm.commandCalls(CreateTrainingJobCommand)[0].args[0].input).toEqual({
        TrainingJobName: 'cancer-mlops-test-train-20260105030000-ab12',
        AlgorithmSpecification: {
          TrainingImage: '123456789012.dkr.ecr.us-east-1.amazonaws.com/cancer-mlops:abc123',
          TrainingInputMode: 'File',
        },
        RoleArn: 'arn:aws:iam::123456789012:role/cancer-mlops-test-sagemaker-execution',
        HyperParameters: { n_estimators: '200', max_features: 'sqrt' },
        InputDataConfig: [
          {
            ChannelName: 'train',
            DataSource: {
              S3DataSource: {
                S3DataType: 'S3Prefix',
                S3Uri: 's3://cancer-mlops-test-artifacts/datasets/ds-20260105T030000Z/train/',
                S3DataDistributionType: 'FullyReplicated',
              },
            },
            ContentType: 'text/csv',
            CompressionType: 'None',
          },
          {
            ChannelName: 'validation',
            DataSource: {
              S3DataSource: {
                S3DataType: 'S3Prefix',
                S3Uri: 's3://cancer-mlops-test-artifacts/datasets/ds-20260105T030000Z/validation/',
                S3DataDistributionType: 'FullyReplicated',
              },
            },
            ContentType: 'text/csv',
            CompressionType: 'None',
          },
        ],
        OutputDataConfig: { S3OutputPath: 's3://cancer-mlops-test-artifacts/training-jobs' },
        ResourceConfig: { InstanceType: 'ml.m5.large', InstanceCount: 1, VolumeSizeInGB: 10 },
        StoppingCondition: { MaxRuntimeInSeconds: 3600 },
        EnableNetworkIsolation: true,
        Environment: { CODE_VERSION: 'abc123', DATASET_ID: 'ds-20260105T030000Z' },
        Tags: [
          { Key: 'project', Value: 'cancer-mlops-test-training' },
          { Key: 'dataset_id', Value: 'ds-20260105T030000Z' },
        ],
      });
    });

    it('uses the configured instance type, volume and time limit', async () => {
      // Prepare
      sm.on(CreateTrainingJobCommand).resolves({});
      const custom = buildSageMakerTrainingJobs(
        new SageMakerClient({ region: 'us-east-1' }),
        names,
        SageMakerConfigSchema.parse({
          ...config,
          TRAINING_INSTANCE_TYPE: 'ml.c5.xlarge',
          TRAINING_VOLUME_GB: '30',
          TRAINING_MAX_RUNTIME_SECONDS: '7200',
        }),
      );

      // Act
      await custom.start({
        jobName: 'j',
        datasetId: 'd',
        trainPrefix: 't/',
        validationPrefix: 'v/',
        outputPrefix: 'o/',
        hyperparameters: {},
      });

      // Assess
      const input = sm.commandCalls(CreateTrainingJobCommand)[0].args[0].input;
      expect(input.ResourceConfig).toEqual({
        InstanceType: 'ml.c5.xlarge',
        InstanceCount: 1,
        VolumeSizeInGB: 30,
      });
      expect(input.StoppingCondition).toEqual({ MaxRuntimeInSeconds: 7200 });
    });
  });

  describe('Method: describe', () => {
    it('maps DescribeTrainingJob', async () => {
      // Prepare
      sm.on(DescribeTrainingJobCommand, { TrainingJobName: 'j' }).resolves({
        TrainingJobName: 'j',
        TrainingJobStatus: 'Failed',
        FailureReason: 'AlgorithmError: training data holds one class only',
        HyperParameters: { n_estimators: '100' },
        CreationTime: new Date('2026-01-05T03:00:00Z'),
        TrainingEndTime: new Date('2026-01-05T03:05:00Z'),
      });

      // Act
      const d = await jobs.describe('j');

      // Assess
      expect(d).toEqual({
        jobName: 'j',
        status: 'Failed',
        failureReason: 'AlgorithmError: training data holds one class only',
        hyperparameters: { n_estimators: '100' },
        createdAt: new Date('2026-01-05T03:00:00Z'),
        endedAt: new Date('2026-01-05T03:05:00Z'),
      });
    });

    it('answers undefined for a job SageMaker does not know', async () => {
      // Prepare
      sm.on(DescribeTrainingJobCommand).rejects(
        new SageMakerServiceException({
          name: 'ValidationException',
          message: 'Requested resource not found.',
          $fault: 'client',
          $metadata: { httpStatusCode: 400 },
        }),
      );

      // Act / Assess
      await expect(jobs.describe('nope')).resolves.toBeUndefined();
    });
  });
});
