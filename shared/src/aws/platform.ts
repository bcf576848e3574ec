import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { SageMakerFeatureStoreRuntimeClient } from '@aws-sdk/client-sagemaker-featurestore-runtime';
import { AthenaClient } from '@aws-sdk/client-athena';
import type { Platform } from '../runtime/platform.ts';
import { CommonConfigSchema, readConfig } from '../runtime/config.ts';
import { resourceName, type NameContext } from '../topology/names.ts';
import { FEATURE_STORE } from '../topology/iam.ts';
import { modelPackageGroup } from '../topology/common.ts';
import type { NoteScorer } from '../ports/noteScorer.ts';
import { scorerFromEnv, scorerIdentity } from '../adapters/scorerFromEnv.ts';
import { buildS3ObjectStore } from './s3ObjectStore.ts';
import { buildSqsQueueSender } from './sqsQueueSender.ts';
import { buildEventBridgePublisher } from './eventBridgePublisher.ts';
import { buildS3StateStore } from './stateStore.ts';
import { buildSecretsManagerStore } from './secretStore.ts';
import { buildPowertoolsMetrics } from './metrics.ts';
import { buildSageMakerFeatureStore } from './featureStore.ts';
import { buildAthenaSnapshot, offlineStoreTable } from './athenaSnapshot.ts';
import { SageMakerConfigSchema, buildSageMakerTrainingJobs } from './sagemakerTraining.ts';
import { buildSageMakerRegistry } from './sagemakerRegistry.ts';
import { buildSageMakerEndpoints } from './sagemakerEndpoints.ts';
import { buildSageMakerTransform } from './sagemakerTransform.ts';

/**
 * Every port on AWS, built from the environment. Each port is built on first use: a function
 * only needs the configuration of the ports it touches (ingest never needs the training
 * image), and SDK clients are created once per container and shared.
 */
export async function awsPlatformFromEnv(env: NodeJS.ProcessEnv = process.env): Promise<Platform> {
  const common = readConfig(CommonConfigSchema, env);
  const names: NameContext = { prefix: common.MLOPS_PREFIX, stage: common.MLOPS_STAGE };
  const region = common.AWS_REGION;
  const client = memo(() => ({
    s3: new S3Client({ region }),
    sm: new SageMakerClient({ region }),
  }));
  const sagemakerConfig = memo(() => readConfig(SageMakerConfigSchema, env));
  const scorer = lazyScorer(() => scorerFromEnv(env, 'bedrock'), scorerIdentity(env, 'bedrock'));

  const lazy: { [K in keyof Platform]: () => Platform[K] } = {
    names: () => names,
    objects: () => buildS3ObjectStore(client().s3, names),
    queues: () => buildSqsQueueSender(new SQSClient({ region }), names),
    events: () => buildEventBridgePublisher(new EventBridgeClient({ region }), names),
    state: () => buildS3StateStore(client().s3, names),
    secrets: () => buildSecretsManagerStore(new SecretsManagerClient({ region }), names),
    metrics: () =>
      buildPowertoolsMetrics({
        namespace: `${names.prefix}/${names.stage}`,
        service: env.POWERTOOLS_SERVICE_NAME ?? 'cancer-mlops',
      }),
    features: () => {
      const groupName = resourceName(names, 'patient-records');
      const artifacts = resourceName(names, FEATURE_STORE.bucket);
      return buildSageMakerFeatureStore(new SageMakerFeatureStoreRuntimeClient({ region }), names, {
        offline: buildAthenaSnapshot(new AthenaClient({ region }), {
          table: () => offlineStoreTable(client().sm, groupName),
          workGroup: resourceName(names, FEATURE_STORE.athenaWorkgroup),
          outputLocation: `s3://${artifacts}/${FEATURE_STORE.athenaResultsPrefix}`,
        }),
      });
    },
    scorer: () => scorer,
    training: () => buildSageMakerTrainingJobs(client().sm, names, sagemakerConfig()),
    registry: () =>
      buildSageMakerRegistry(client().sm, {
        image: sagemakerConfig().INFERENCE_IMAGE_URI ?? sagemakerConfig().TRAINING_IMAGE_URI,
        group: modelPackageGroup(names),
      }),
    endpoints: () =>
      buildSageMakerEndpoints(
        client().sm,
        new SageMakerRuntimeClient({ region }),
        names,
        sagemakerConfig(),
      ),
    transform: () => buildSageMakerTransform(client().sm, names),
    now: () => () => new Date(),
  };
  const platform = {} as Platform;
  for (const key of Object.keys(lazy) as (keyof Platform)[]) {
    const get = memo(lazy[key] as () => unknown);
    Object.defineProperty(platform, key, { get, enumerable: true });
  }
  return platform;
}

function memo<T>(build: () => T): () => T {
  let value: T | undefined;
  let built = false;
  return () => {
    if (!built) {
      value = build();
      built = true;
    }
    return value as T;
  };
}

/** A scorer whose adapter (and SDK) loads on the first note, keeping cold starts short. */
function lazyScorer(
  build: () => Promise<NoteScorer>,
  identity: Pick<NoteScorer, 'id' | 'promptVersion'>,
): NoteScorer {
  let real: Promise<NoteScorer> | undefined;
  const get = () => (real ??= build());
  return { ...identity, score: async (note) => (await get()).score(note) };
}
