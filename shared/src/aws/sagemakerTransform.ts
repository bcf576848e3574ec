import {
  CreateTransformJobCommand,
  type SageMakerClient,
  type TransformInstanceType,
} from '@aws-sdk/client-sagemaker';
import type { TransformJobs, TransformJobSpec } from '../ports/transform.ts';
import { bucketName, resourceName, type NameContext } from '../topology/names.ts';
import { isAwsError } from './awsErrors.ts';

export interface SageMakerTransformOptions {
  /**
   * The SageMaker Model a package version was deployed as. The deployer creates one model per
   * package version; this must name it the same way.
   */
  modelName?: (spec: TransformJobSpec) => string;
  instanceType?: TransformInstanceType;
  instanceCount?: number;
  /** How long one mini-batch request may take before SageMaker retries it. */
  invocationTimeoutSeconds?: number;
}

/** The model name the deployer gives package version `version`. */
export const deployedModelName = (names: NameContext, version: number) =>
  resourceName(names, `model-v${version}`);

/**
 * Batch transform on SageMaker: CreateTransformJob over one prepared CSV in the artifacts
 * bucket. The record id rides along as the first column: InputFilter keeps it away from the
 * model, JoinSource appends each prediction to its input line and OutputFilter keeps the id
 * and the prediction, so ids survive without the model ever seeing them. SageMaker emits the
 * `Transform Job State Change` event itself when the job ends.
 */
export function buildSageMakerTransform(
  client: SageMakerClient,
  names: NameContext,
  options: SageMakerTransformOptions = {},
): TransformJobs {
  const artifacts = bucketName(names, 'artifacts');
  const modelName =
    options.modelName ?? ((spec: TransformJobSpec) => deployedModelName(names, spec.modelVersion));
  return {
    async start(spec) {
      const outputPrefix = spec.outputPrefix.endsWith('/')
        ? spec.outputPrefix
        : `${spec.outputPrefix}/`;
      try {
        await client.send(
          new CreateTransformJobCommand({
            TransformJobName: spec.jobName,
            ModelName: modelName(spec),
            BatchStrategy: spec.batchStrategy,
            MaxPayloadInMB: spec.maxPayloadMb,
            ...(spec.maxConcurrentTransforms
              ? { MaxConcurrentTransforms: spec.maxConcurrentTransforms }
              : {}),
            ModelClientConfig: {
              InvocationsTimeoutInSeconds: options.invocationTimeoutSeconds ?? 600,
              InvocationsMaxRetries: 1,
            },
            TransformInput: {
              DataSource: {
                S3DataSource: {
                  S3DataType: 'S3Prefix',
                  S3Uri: `s3://${artifacts}/${spec.inputKey}`,
                },
              },
              ContentType: spec.contentType,
              CompressionType: 'None',
              SplitType: spec.splitType,
            },
            TransformOutput: {
              S3OutputPath: `s3://${artifacts}/${outputPrefix}`,
              Accept: spec.contentType,
              AssembleWith: spec.assembleWith,
            },
            DataProcessing: {
              InputFilter: spec.inputFilter,
              JoinSource: spec.joinSource,
              OutputFilter: spec.outputFilter,
            },
            TransformResources: {
              InstanceType: options.instanceType ?? 'ml.m5.large',
              InstanceCount: options.instanceCount ?? 1,
            },
            Tags: [
              { Key: 'model-version', Value: String(spec.modelVersion) },
              { Key: 'model-package-arn', Value: spec.packageArn },
            ],
          }),
        );
      } catch (e) {
        // Job names are unique per account and region: this one already runs or ran.
        if (isAwsError(e, ['ResourceInUse'])) return;
        throw e;
      }
    },
  };
}
