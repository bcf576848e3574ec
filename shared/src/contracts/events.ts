import { z } from 'zod';

/** Our own events travel on the custom bus with `source: "cancer-mlops.<service>"`. */
export const EVENT_SOURCE_PREFIX = 'cancer-mlops';
export const eventSource = (service: string) => `${EVENT_SOURCE_PREFIX}.${service}`;

const iso = z.string().datetime({ offset: true });

export const RecordsIngestedSchema = z
  .object({
    ingest_id: z.string(),
    bucket: z.string(),
    key: z.string(),
    rows: z.number().int().nonnegative(),
    accepted: z.number().int().nonnegative(),
    quarantined: z.number().int().nonnegative(),
    quarantine_key: z.string().optional(),
    /** Set when the whole file was refused (not CSV/JSONL, empty, no usable header). */
    file_error: z.string().optional(),
  })
  .strict();

export const FeaturesWrittenSchema = z
  .object({
    written: z.number().int().nonnegative(),
    duplicates: z.number().int().nonnegative(),
    labelled: z.number().int().nonnegative(),
    feature_group: z.string(),
    feature_group_version: z.number().int(),
  })
  .strict();

export const RetrainingRequestedSchema = z
  .object({
    reason: z.enum(['drift', 'schedule', 'new-data', 'manual']),
    idempotency_key: z.string(),
    detail: z.string().max(2000),
    report_uri: z.string().optional(),
  })
  .strict();

export const DriftDetectedSchema = z
  .object({
    run_id: z.string(),
    kind: z.enum(['data', 'concept']),
    report_uri: z.string(),
    model_version: z.string().nullable(),
    samples: z.number().int().nonnegative(),
    drifted_features: z.array(z.string()),
    drifted_share: z.number().min(0).max(1),
    window_start: iso.nullable(),
    window_end: iso,
  })
  .strict();

export const ModelDeployedSchema = z
  .object({
    model_version: z.string(),
    model_package_arn: z.string(),
    endpoint: z.string(),
    previous_version: z.string().nullable(),
    deployed_at: iso,
  })
  .strict();

export const BatchCompletedSchema = z
  .object({
    job_name: z.string(),
    input_key: z.string(),
    output_key: z.string(),
    errors_key: z.string().nullable(),
    summary_key: z.string(),
    rows: z.number().int().nonnegative(),
    predicted: z.number().int().nonnegative(),
    errors: z.number().int().nonnegative(),
    model_version: z.string().nullable(),
    status: z.enum(['Completed', 'Failed', 'Stopped']),
  })
  .strict();

export const TrainingFailedSchema = z
  .object({
    training_job: z.string(),
    reason: z.string().max(2000),
    dataset_id: z.string().nullable(),
  })
  .strict();

export const OUR_EVENTS = {
  RecordsIngested: { service: 'ingest', schema: RecordsIngestedSchema },
  FeaturesWritten: { service: 'scoring', schema: FeaturesWrittenSchema },
  RetrainingRequested: { service: 'monitor', schema: RetrainingRequestedSchema },
  DriftDetected: { service: 'monitor', schema: DriftDetectedSchema },
  ModelDeployed: { service: 'inference', schema: ModelDeployedSchema },
  BatchCompleted: { service: 'batch', schema: BatchCompletedSchema },
  TrainingFailed: { service: 'training', schema: TrainingFailedSchema },
} as const;
export type OurEventName = keyof typeof OUR_EVENTS;
export type OurEventDetail<N extends OurEventName> = z.infer<(typeof OUR_EVENTS)[N]['schema']>;

/** What a publisher puts on the bus (EventBridge PutEvents entry, detail still an object). */
export interface BusEvent<D = unknown> {
  source: string;
  'detail-type': string;
  detail: D;
  resources?: string[];
  time?: string;
}

/** The envelope EventBridge delivers to a target. */
export const EventBridgeEnvelopeSchema = z
  .object({
    version: z.string(),
    id: z.string(),
    'detail-type': z.string(),
    source: z.string(),
    account: z.string(),
    time: z.string(),
    region: z.string(),
    resources: z.array(z.string()),
    detail: z.unknown(),
  })
  .passthrough();
export type EventBridgeEnvelope<D = unknown> = z.infer<typeof EventBridgeEnvelopeSchema> & {
  detail: D;
};

/**
 * Builds one of our events, checked against its schema, so a malformed event fails where it
 * is made and never reaches a consumer. Explicit `source` overrides the default service,
 * e.g. `RetrainingRequested` from the operator CLI.
 */
export function ourEvent<N extends OurEventName>(
  name: N,
  detail: OurEventDetail<N>,
  opts: { source?: string; resources?: string[] } = {},
): BusEvent<OurEventDetail<N>> {
  const spec = OUR_EVENTS[name];
  const parsed = spec.schema.parse(detail) as OurEventDetail<N>;
  return {
    source: opts.source ?? eventSource(spec.service),
    'detail-type': name,
    detail: parsed,
    ...(opts.resources ? { resources: opts.resources } : {}),
  };
}

/** Parses the detail of one of our events delivered in an envelope. */
export function parseOurEvent<N extends OurEventName>(
  name: N,
  envelope: unknown,
): EventBridgeEnvelope<OurEventDetail<N>> {
  const env = EventBridgeEnvelopeSchema.parse(envelope);
  if (env['detail-type'] !== name) {
    throw new Error(`expected a ${name} event, got detail-type "${env['detail-type']}"`);
  }
  return { ...env, detail: OUR_EVENTS[name].schema.parse(env.detail) as OurEventDetail<N> };
}
