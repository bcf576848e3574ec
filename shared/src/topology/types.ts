/**
 * A typed description of what a service deploys: its functions, what triggers them and the
 * resources it owns. It is the single source of truth for both the Serverless Framework
 * configuration (`toServerless`) and the local mesh, so the two cannot drift apart.
 *
 * Resource references are *logical* names ("notes-to-score", "raw"); physical names are
 * `<prefix>-<stage>-<logical>` (see names.ts), so services deploy independently.
 */

export type EventPattern = Record<string, unknown>;

export type Trigger =
  | { type: 's3'; bucket: string; prefix: string; suffix?: string }
  | {
      type: 'sqs';
      queue: string;
      batchSize: number;
      /** Seconds to gather a batch; 0 delivers at once. */
      maximumBatchingWindow?: number;
    }
  | {
      type: 'eventbridge';
      /** `default` for AWS's own events (SageMaker), `custom` for ours. */
      bus: 'default' | 'custom';
      pattern: EventPattern;
    }
  | { type: 'schedule'; expression: string; enabled?: boolean }
  | { type: 'http'; method: 'GET' | 'POST'; path: string; auth: 'none' | 'jwt' };

/** What a function may do, one resource per statement; translated into IAM. */
export type Permission =
  | { kind: 's3:read' | 's3:write' | 's3:delete'; bucket: string; prefix?: string }
  | { kind: 'sqs:send'; queue: string }
  | { kind: 'events:put'; bus: 'custom' }
  | { kind: 'sagemaker'; actions: string[]; resource: string }
  | { kind: 'featurestore:put' | 'featurestore:read'; featureGroup: string }
  | { kind: 'bedrock:invoke' }
  | { kind: 'athena:query' }
  | { kind: 'secrets:read'; secret: string }
  | { kind: 'iam:passrole'; role: string }
  | { kind: 'custom'; sid: string; actions: string[]; resource: string };

export interface FunctionSpec {
  /** Name within the service, e.g. `onRawObject`; physical `<prefix>-<stage>-<service>-<name>`. */
  name: string;
  /** Path of the handler module relative to the service folder, e.g. `src/handlers/onRawObject.ts`. */
  handler: string;
  /** Export name in that module; `handler` by default. */
  export?: string;
  description: string;
  timeoutSeconds: number;
  memoryMb: number;
  triggers: Trigger[];
  permissions: Permission[];
  /** Extra environment (on top of the common MLOPS_* variables). */
  environment?: Record<string, string>;
  reservedConcurrency?: number;
}

export interface QueueSpec {
  /** Logical name, e.g. `notes-to-score`; its DLQ is `<name>-dlq`. */
  name: string;
  /** Receives before a message is moved to the dead-letter queue. */
  maxReceiveCount: number;
  visibilityTimeoutSeconds: number;
  /** How long dead letters are kept (seconds); 14 days by default. */
  dlqRetentionSeconds?: number;
}

export interface BucketSpec {
  /** Logical name, e.g. `raw`. */
  name: string;
  /** Object-key prefixes that expire after N days (e.g. capture data). */
  expirations?: { prefix: string; days: number }[];
}

/** An EventBridge rule this service owns that feeds one of its queues. */
export interface RuleSpec {
  name: string;
  bus: 'default' | 'custom';
  pattern?: EventPattern;
  schedule?: string;
  /** Queue (owned by this service) that receives the matching event. */
  targetQueue: string;
  /** Fixed message body instead of the event (e.g. a scheduled training request). */
  input?: unknown;
}

export interface ServiceTopology {
  /** Services whose resources must exist first (the event bus, a bucket it reads). */
  dependsOn?: string[];
  service: string;
  description: string;
  functions: FunctionSpec[];
  queues: QueueSpec[];
  buckets: BucketSpec[];
  rules: RuleSpec[];
  /** True for the one service that creates the custom event bus. */
  ownsEventBus?: boolean;
}
