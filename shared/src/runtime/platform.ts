import type { NameContext } from '../topology/names.ts';
import type { ObjectStore } from '../ports/objectStore.ts';
import type { EventPublisher, QueueSender } from '../ports/messaging.ts';
import type { MetricsSink, SecretStore, StateStore } from '../ports/stateStore.ts';
import type { FeatureStore } from '../ports/featureStore.ts';
import type { NoteScorer } from '../ports/noteScorer.ts';
import type { Endpoints, ModelRegistry, TrainingJobs } from '../ports/sagemaker.ts';
import type { TransformJobs } from '../ports/transform.ts';

/**
 * Every port a service may use. Handlers never build adapters themselves: on AWS the
 * platform is built from the environment on first use (shared/src/aws/platform.ts); the
 * local runtime installs its own before it loads any handler. That is the only place where
 * "AWS or local" is decided, so nothing under services/ knows which one it runs on.
 *
 * Later issues add their ports here.
 */
export interface Platform {
  names: NameContext;
  objects: ObjectStore;
  queues: QueueSender;
  events: EventPublisher;
  state: StateStore;
  secrets: SecretStore;
  metrics: MetricsSink;
  features: FeatureStore;
  scorer: NoteScorer;
  /** SageMaker training jobs (train on a dataset, report the end as an event). */
  training: TrainingJobs;
  /** SageMaker model registry: packages, approval status, metrics and lineage. */
  registry: ModelRegistry;
  /** The serving endpoint: blue/green deploys and invocations. */
  endpoints: Endpoints;
  /** SageMaker batch transform: stream a prepared file through the deployed model. */
  transform: TransformJobs;
  now: () => Date;
}

let installed: Platform | undefined;
let building: Promise<Platform> | undefined;

export function installPlatform(p: Platform): void {
  installed = p;
  building = undefined;
}

export function resetPlatform(): void {
  installed = undefined;
  building = undefined;
}

/** The installed platform, or the AWS one built once from the environment. */
export async function platform(): Promise<Platform> {
  if (installed) return installed;
  building ??= import('../aws/platform.ts').then((m) => m.awsPlatformFromEnv());
  installed = await building;
  return installed;
}
