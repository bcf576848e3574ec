import {
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  CreateModelCommand,
  DescribeEndpointCommand,
  UpdateEndpointCommand,
  type DescribeEndpointOutput,
  type ProductionVariantInstanceType,
  type SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import {
  InvokeEndpointCommand,
  type SageMakerRuntimeClient,
} from '@aws-sdk/client-sagemaker-runtime';
import {
  DeploymentFailedError,
  EXPLAIN_CUSTOM_ATTRIBUTE,
  ModelInvocationError,
  NoEndpointError,
  type DeployedModel,
  type Endpoints,
  type ModelPackage,
} from '../ports/sagemaker.ts';
import { modelPackageGroup } from '../topology/common.ts';
import { bucketName, resourceName, type NameContext } from '../topology/names.ts';
import { isAwsError } from './awsErrors.ts';
import { isNotFound, type SageMakerConfig } from './sagemakerTraining.ts';
import { deployedModelName } from './sagemakerTransform.ts';

export const VARIANT = 'AllTraffic';
export const CAPTURE_PREFIX = 'capture';

export interface SageMakerEndpointsOptions {
  sleep?: (ms: number) => Promise<void>;
  now?: () => Date;
  pollMs?: number;
}

/** The one real-time endpoint every deployment updates: `<prefix>-<stage>-endpoint`. */
export const endpointName = (names: NameContext) => resourceName(names, 'endpoint');

/**
 * The serving endpoint on SageMaker. A deployment creates a model from the package (SageMaker
 * resolves its image and model data), an endpoint config with data capture on (every request
 * and response to `s3://<artifacts>/capture/`), then creates the endpoint or updates it
 * blue/green: all traffic shifts at once to the new fleet, CloudWatch alarms watch it for a
 * baking period and roll back automatically, the old fleet goes only after that. Config and
 * model names carry the package version, so what serves is read back from DescribeEndpoint.
 */
export function buildSageMakerEndpoints(
  sm: SageMakerClient,
  runtime: SageMakerRuntimeClient,
  names: NameContext,
  config: SageMakerConfig,
  options: SageMakerEndpointsOptions = {},
): Endpoints {
  const EndpointName = endpointName(names);
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const now = options.now ?? (() => new Date());
  const pollMs = options.pollMs ?? 15_000;
  const alarms = (config.ENDPOINT_ROLLBACK_ALARMS ?? resourceName(names, 'endpoint-errors'))
    .split(',')
    .map((a) => a.trim())
    .filter(Boolean);

  const describe = async (): Promise<DescribeEndpointOutput | undefined> => {
    try {
      return await sm.send(new DescribeEndpointCommand({ EndpointName }));
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  };

  const deployedOf = (d: DescribeEndpointOutput | undefined): DeployedModel | null => {
    if (!d || !d.EndpointConfigName) return null;
    const version = versionOfConfig(d.EndpointConfigName);
    // Creating for the first time, or a failed first creation: nothing serves.
    if (version === undefined || d.EndpointStatus === 'Creating' || d.EndpointStatus === 'Failed')
      return null;
    return {
      endpoint: EndpointName,
      version,
      packageArn: packageArnFor(d.EndpointArn ?? '', modelPackageGroup(names), version),
      deployedAt: d.LastModifiedTime ?? d.CreationTime ?? new Date(0),
    };
  };
  const current = async (): Promise<DeployedModel | null> => deployedOf(await describe());

  /** The config of an update (or first creation) under way, if there is one. */
  const inFlightConfig = (d: DescribeEndpointOutput | undefined): string | undefined =>
    d?.EndpointStatus === 'Updating'
      ? d.PendingDeploymentSummary?.EndpointConfigName
      : d?.EndpointStatus === 'Creating'
        ? d.EndpointConfigName
        : undefined;

  /** Creates the model (once per version) and a config, then creates or updates the endpoint. */
  const startDeployment = async (pkg: ModelPackage): Promise<string> => {
    const stamp = now().toISOString().replace(/[-:T]/g, '').slice(0, 14);
    // One SageMaker Model per package version, named as batch transform expects it.
    const ModelName = deployedModelName(names, pkg.version);
    const EndpointConfigName = resourceName(names, `config-v${pkg.version}-${stamp}`);
    try {
      await sm.send(
        new CreateModelCommand({
          ModelName,
          ExecutionRoleArn: config.SAGEMAKER_ROLE_ARN,
          PrimaryContainer: { ModelPackageName: pkg.arn },
          EnableNetworkIsolation: true,
        }),
      );
    } catch (e) {
      // Deployed before (a rollback to it, a retried deployment): the model is the same package.
      if (!(isAwsError(e, ['ValidationException']) && /already exist/i.test((e as Error).message)))
        throw e;
    }
    await sm.send(
      new CreateEndpointConfigCommand({
        EndpointConfigName,
        ProductionVariants: [
          {
            VariantName: VARIANT,
            ModelName,
            InitialInstanceCount: config.ENDPOINT_INSTANCE_COUNT,
            InstanceType: config.ENDPOINT_INSTANCE_TYPE as ProductionVariantInstanceType,
            InitialVariantWeight: 1,
          },
        ],
        DataCaptureConfig: {
          EnableCapture: true,
          InitialSamplingPercentage: 100,
          DestinationS3Uri: `s3://${bucketName(names, 'artifacts')}/${CAPTURE_PREFIX}`,
          CaptureOptions: [{ CaptureMode: 'Input' }, { CaptureMode: 'Output' }],
          CaptureContentTypeHeader: {
            CsvContentTypes: ['text/csv'],
            JsonContentTypes: ['application/json'],
          },
        },
      }),
    );

    const existing = await describe();
    if (!existing) {
      await sm.send(new CreateEndpointCommand({ EndpointName, EndpointConfigName }));
    } else {
      await sm.send(
        new UpdateEndpointCommand({
          EndpointName,
          EndpointConfigName,
          DeploymentConfig: {
            BlueGreenUpdatePolicy: {
              TrafficRoutingConfiguration: {
                Type: 'ALL_AT_ONCE',
                WaitIntervalInSeconds: config.ENDPOINT_BAKE_SECONDS,
              },
              TerminationWaitInSeconds: config.ENDPOINT_TERMINATION_WAIT_SECONDS,
              MaximumExecutionTimeoutInSeconds: Math.max(
                600,
                Math.min(
                  28_800,
                  config.ENDPOINT_BAKE_SECONDS + config.ENDPOINT_TERMINATION_WAIT_SECONDS + 1800,
                ),
              ),
            },
            AutoRollbackConfiguration: { Alarms: alarms.map((AlarmName) => ({ AlarmName })) },
          },
        }),
      );
    }

    return EndpointConfigName;
  };

  return {
    current,

    async deploy(pkg) {
      const before = await describe();
      const previous = deployedOf(before);
      // A deployment of this very version already under way (the retry of one that outlasted
      // its wait): wait for it; a second UpdateEndpoint would be refused mid-update.
      const underway = inFlightConfig(before);
      const EndpointConfigName =
        underway !== undefined && versionOfConfig(underway) === pkg.version
          ? underway
          : await startDeployment(pkg);

      const deadline = now().getTime() + config.ENDPOINT_DEPLOY_WAIT_SECONDS * 1000;
      const target: DeployedModel = {
        endpoint: EndpointName,
        version: pkg.version,
        packageArn: pkg.arn,
        deployedAt: now(),
      };
      for (;;) {
        const d = await describe();
        const status = d?.EndpointStatus;
        if (status === 'InService' && d?.EndpointConfigName === EndpointConfigName) {
          return {
            status: 'InService',
            current: { ...target, deployedAt: d.LastModifiedTime ?? now() },
            previous,
          };
        }
        if (status === 'InService' || status === 'Failed' || status === 'UpdateRollbackFailed') {
          // InService on another config: the update was rolled back (an alarm, a failed health check).
          const reason =
            d?.FailureReason ??
            (status === 'InService' ? 'the update was rolled back' : `the endpoint is ${status}`);
          throw new DeploymentFailedError(
            `v${pkg.version} did not take over: ${reason}`,
            status === 'InService' ? previous : null,
          );
        }
        if (now().getTime() >= deadline) return { status: 'InProgress', current: target, previous };
        await sleep(pollMs);
      }
    },

    async invoke(body, contentType, accept, options = {}) {
      try {
        const out = await runtime.send(
          new InvokeEndpointCommand({
            EndpointName,
            Body: typeof body === 'string' ? Buffer.from(body, 'utf8') : body,
            ContentType: contentType,
            Accept: accept,
            // The endpoint's data capture keeps it, so ground truth joins to the prediction.
            ...(options.inferenceId ? { InferenceId: options.inferenceId } : {}),
            ...(options.explain ? { CustomAttributes: EXPLAIN_CUSTOM_ATTRIBUTE } : {}),
          }),
        );
        return {
          body: Buffer.from(out.Body ?? new Uint8Array()),
          contentType: out.ContentType ?? accept,
        };
      } catch (e) {
        if (isAwsError(e, ['ModelError'])) {
          const err = e as {
            OriginalStatusCode?: number;
            OriginalMessage?: string;
            message: string;
          };
          throw new ModelInvocationError(
            err.OriginalStatusCode ?? 500,
            err.OriginalMessage ?? err.message,
          );
        }
        if (isNotFound(e))
          throw new NoEndpointError(
            `no model is deployed: endpoint ${EndpointName} does not exist`,
          );
        throw e;
      }
    },
  };
}

/** `<prefix>-<stage>-config-v<version>-<stamp>` -> version. */
export function versionOfConfig(configName: string): number | undefined {
  const m = /-config-v(\d+)-\d{14}$/.exec(configName);
  return m ? Number(m[1]) : undefined;
}

/** The package ARN in the endpoint's partition, region and account. */
function packageArnFor(endpointArn: string, group: string, version: number): string {
  const [, partition = 'aws', , region = '', account = ''] = endpointArn.split(':');
  return `arn:${partition}:sagemaker:${region}:${account}:model-package/${group}/${version}`;
}
