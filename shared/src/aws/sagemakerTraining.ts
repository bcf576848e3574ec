import {
  CreateTrainingJobCommand,
  DescribeTrainingJobCommand,
  type Channel,
  type SageMakerClient,
  type TrainingInstanceType,
} from '@aws-sdk/client-sagemaker';
import { z } from 'zod';
import type {
  TrainingJobDescription,
  TrainingJobs,
  TrainingJobStatus,
} from '../ports/sagemaker.ts';
import { bucketName, resourceName, type NameContext } from '../topology/names.ts';
import { isAwsError } from './awsErrors.ts';

/**
 * Settings of the SageMaker adapters (training, registry, endpoints). The container image is
 * the same for `train` and `serve` unless INFERENCE_IMAGE_URI says otherwise.
 */
export const SageMakerConfigSchema = z.object({
  TRAINING_IMAGE_URI: z.string().min(1),
  INFERENCE_IMAGE_URI: z.string().min(1).optional(),
  SAGEMAKER_ROLE_ARN: z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/, 'an IAM role ARN'),
  TRAINING_INSTANCE_TYPE: z.string().default('ml.m5.large'),
  TRAINING_VOLUME_GB: z.coerce.number().int().positive().default(10),
  TRAINING_MAX_RUNTIME_SECONDS: z.coerce.number().int().positive().default(3600),
  ENDPOINT_INSTANCE_TYPE: z.string().default('ml.m5.large'),
  ENDPOINT_INSTANCE_COUNT: z.coerce.number().int().positive().default(1),
  /** CloudWatch alarms that roll a blue/green update back; comma-separated, default `<prefix>-<stage>-endpoint-errors`. */
  ENDPOINT_ROLLBACK_ALARMS: z.string().optional(),
  /** Baking period: how long the alarms watch the new fleet with all traffic before the old one goes. */
  ENDPOINT_BAKE_SECONDS: z.coerce.number().int().min(0).max(3600).default(300),
  ENDPOINT_TERMINATION_WAIT_SECONDS: z.coerce.number().int().min(0).max(3600).default(60),
  /** How long deploy() waits for InService before answering InProgress (Lambda allows 900 s). */
  ENDPOINT_DEPLOY_WAIT_SECONDS: z.coerce.number().int().positive().default(780),
});
export type SageMakerConfig = z.infer<typeof SageMakerConfigSchema>;

export const TRAINING_CHANNELS = ['train', 'validation'] as const;

/**
 * Training jobs on SageMaker: the bring-your-own container in File mode, the train and
 * validation channels as CSV prefixes in the artifacts bucket, the model uploaded by
 * SageMaker to `<outputPrefix><job>/output/model.tar.gz`. The container has no network
 * (EnableNetworkIsolation): it only reads its channels and writes /opt/ml/model.
 */
export function buildSageMakerTrainingJobs(
  client: SageMakerClient,
  names: NameContext,
  config: SageMakerConfig,
): TrainingJobs {
  const bucket = bucketName(names, 'artifacts');
  const uri = (prefix: string) => `s3://${bucket}/${prefix}`;
  const channel = (name: string, prefix: string): Channel => ({
    ChannelName: name,
    DataSource: {
      S3DataSource: {
        S3DataType: 'S3Prefix',
        S3Uri: uri(prefix),
        S3DataDistributionType: 'FullyReplicated',
      },
    },
    ContentType: 'text/csv',
    CompressionType: 'None',
  });

  return {
    async start(spec) {
      await client.send(
        new CreateTrainingJobCommand({
          TrainingJobName: spec.jobName,
          AlgorithmSpecification: {
            TrainingImage: config.TRAINING_IMAGE_URI,
            TrainingInputMode: 'File',
          },
          RoleArn: config.SAGEMAKER_ROLE_ARN,
          HyperParameters: spec.hyperparameters,
          InputDataConfig: [
            channel('train', spec.trainPrefix),
            channel('validation', spec.validationPrefix),
          ],
          OutputDataConfig: { S3OutputPath: uri(spec.outputPrefix.replace(/\/+$/, '')) },
          ResourceConfig: {
            InstanceType: config.TRAINING_INSTANCE_TYPE as TrainingInstanceType,
            InstanceCount: 1,
            VolumeSizeInGB: config.TRAINING_VOLUME_GB,
          },
          StoppingCondition: { MaxRuntimeInSeconds: config.TRAINING_MAX_RUNTIME_SECONDS },
          EnableNetworkIsolation: true,
          Environment: { ...spec.environment, DATASET_ID: spec.datasetId },
          Tags: [
            { Key: 'project', Value: resourceName(names, 'training') },
            { Key: 'dataset_id', Value: spec.datasetId },
          ],
        }),
      );
    },

    async describe(jobName) {
      try {
        const out = await client.send(new DescribeTrainingJobCommand({ TrainingJobName: jobName }));
        const d: TrainingJobDescription = {
          jobName,
          status: (out.TrainingJobStatus ?? 'InProgress') as TrainingJobStatus,
          hyperparameters: out.HyperParameters ?? {},
          createdAt: out.CreationTime ?? new Date(0),
        };
        if (out.FailureReason) d.failureReason = out.FailureReason;
        if (out.ModelArtifacts?.S3ModelArtifacts)
          d.modelArtifacts = out.ModelArtifacts.S3ModelArtifacts;
        if (out.TrainingEndTime) d.endedAt = out.TrainingEndTime;
        return d;
      } catch (e) {
        if (isNotFound(e)) return undefined;
        throw e;
      }
    },
  };
}

/**
 * SageMaker answers a missing job, package or endpoint with a ValidationException "... not
 * found / does not exist"; SageMaker Runtime (InvokeEndpoint) with a ValidationError
 * "Endpoint <name> of account <id> not found.".
 */
export function isNotFound(e: unknown): boolean {
  if (isAwsError(e, ['ResourceNotFound', 'ResourceNotFoundException'])) return true;
  return (
    isAwsError(e, ['ValidationException', 'ValidationError']) &&
    e instanceof Error &&
    /not (be )?found|does not exist|could not find/i.test(e.message)
  );
}
