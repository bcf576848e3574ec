import { PassThrough, Readable } from 'node:stream';
import { once } from 'node:events';
import type { S3Event } from 'aws-lambda';
import { modelInputValidator } from '@cancer-mlops/shared/domain/validation/modelInput.ts';
import type { NoteScorer } from '@cancer-mlops/shared/ports/noteScorer.ts';
import type { ObjectStore } from '@cancer-mlops/shared/ports/objectStore.ts';
import type { Endpoints } from '@cancer-mlops/shared/ports/sagemaker.ts';
import type { TransformJobs, TransformJobSpec } from '@cancer-mlops/shared/ports/transform.ts';
import { transformOutputKey } from '@cancer-mlops/shared/ports/transform.ts';
import { createLogger, type Log } from '@cancer-mlops/shared/runtime/logger.ts';
import { logicalName, type NameContext } from '@cancer-mlops/shared/topology/names.ts';
import {
  ARTIFACTS,
  BATCH_IN,
  BATCH_OUT,
  OUTPUT_HEADER,
  batchKeys,
  type BatchKeys,
  type BatchManifest,
  type BatchSummary,
} from './batchKeys.ts';
import {
  bufferChunks,
  FileRefusedError,
  rowPreparer,
  sniffFormat,
  type RowError,
} from './prepareRows.ts';
import type { MetricsSink } from '@cancer-mlops/shared/ports/stateStore.ts';

/**
 * batch.onBatchObject: a file dropped into `batch-in` becomes a transform job. The file is
 * read once as a stream: rows are validated, notes scored (a few at a time), valid rows
 * written as the job's input and bad rows streamed to `<name>.errors.jsonl` with their
 * reasons. Then the job starts on the deployed model; its end (a Transform Job State Change
 * event) is batch.onTransformDone's. Memory stays flat whatever the file size: nothing holds
 * more than a few chunks of it.
 */

export interface BatchDeps {
  names: NameContext;
  objects: ObjectStore;
  scorer: NoteScorer;
  transform: TransformJobs;
  endpoints: Pick<Endpoints, 'current'>;
  now: () => Date;
  log?: Log;
  /** Counts batches that end before a transform (`BatchJobs`, `BatchRowErrors`). */
  metrics?: MetricsSink;
}

export interface BatchSettings {
  /** Notes scored at once (the scorer is an LLM on AWS: a few at a time, not hundreds). */
  noteConcurrency: number;
  /**
   * SageMaker MultiRecord mini-batch size. 2 MB (~10,000 rows), not SageMaker's 6: as fast
   * end to end on a 1M-row file and ~25 MiB less memory per serving process, whose parse and
   * answer buffers scale with it (docs/PERFORMANCE.md).
   */
  maxPayloadMb: number;
  /** Requests in flight per transform instance. */
  maxConcurrentTransforms?: number;
}

export const DEFAULT_BATCH_SETTINGS: BatchSettings = { noteConcurrency: 8, maxPayloadMb: 2 };

export interface ObjectRef {
  /** Physical bucket, as S3 names it in the notification. */
  bucket: string;
  /** The key, decoded. */
  key: string;
}

/** S3 notification keys are form-encoded (`+` is a space). */
export const decodeS3Key = (key: string) => decodeURIComponent(key.replace(/\+/g, ' '));

export async function onBatchNotification(
  deps: BatchDeps,
  event: S3Event,
  settings = DEFAULT_BATCH_SETTINGS,
): Promise<void> {
  if (!event || !Array.isArray(event.Records)) return; // s3:TestEvent on configuration
  for (const record of event.Records) {
    await prepareBatch(
      deps,
      { bucket: record.s3.bucket.name, key: decodeS3Key(record.s3.object.key) },
      settings,
    );
  }
}

export type PrepareOutcome =
  | { kind: 'started'; jobName: string; manifest: BatchManifest }
  | { kind: 'already-started'; jobName: string }
  | { kind: 'finished-early'; summary: BatchSummary }
  | { kind: 'ignored'; reason: string };

export async function prepareBatch(
  deps: BatchDeps,
  ref: ObjectRef,
  settings = DEFAULT_BATCH_SETTINGS,
): Promise<PrepareOutcome> {
  const log = deps.log ?? createLogger('batch');
  const bucket = logicalName(deps.names, ref.bucket) ?? ref.bucket;
  if (bucket !== BATCH_IN)
    throw new Error(`bucket ${ref.bucket} is not this deployment's ${BATCH_IN} bucket`);
  if (ref.key.endsWith('/')) return { kind: 'ignored', reason: 'folder marker' };
  const info = await deps.objects.head(bucket, ref.key);
  if (!info) {
    log.warn('batch object no longer exists; ignored', { bucket: ref.bucket });
    return { kind: 'ignored', reason: 'object no longer exists' };
  }
  const keys = batchKeys(
    deps.names,
    ref.key,
    info.etag ?? `${info.size}:${info.lastModified.getTime()}`,
  );
  const received = deps.now();
  const startedMs = performance.now();

  // A redelivered notification: the job exists or its input is ready; (re)start is idempotent.
  const previous = await deps.objects.get(ARTIFACTS, keys.manifestKey);
  if (previous) {
    const manifest = JSON.parse(previous.toString('utf8')) as BatchManifest;
    await deps.transform.start(transformSpec(keys, manifest, settings));
    log.info('batch already prepared; transform job (re)started idempotently', {
      jobName: keys.jobName,
    });
    return { kind: 'already-started', jobName: keys.jobName };
  }

  // A new file under a name used before: what the last one left goes first, so that no .out,
  // errors file or summary of another night is read as this file's (this run writes its own).
  await Promise.all(
    [keys.outputKey, keys.errorsKey, keys.summaryKey].map((k) => deps.objects.delete(BATCH_OUT, k)),
  );

  const base = {
    rows: 0,
    predicted: 0,
    errors: 0,
    notes_scored: 0,
    ignored_columns: [] as string[],
  };
  const early = async (
    status: 'Completed' | 'Failed',
    reason: string | undefined,
    counts = base,
    model: { version: number; packageArn: string } | null = null,
    errorsKey: string | null = null,
  ) => {
    const summary: BatchSummary = {
      job_name: null,
      status,
      ...(reason ? { failure_reason: reason } : {}),
      input: { bucket, key: ref.key },
      output_key: status === 'Completed' ? keys.outputKey : null,
      errors_key: errorsKey,
      ...counts,
      model_version: model?.version ?? null,
      model_package_arn: model?.packageArn ?? null,
      timings: {
        received_at: received.toISOString(),
        completed_at: deps.now().toISOString(),
        total_ms: Math.round(performance.now() - startedMs),
      },
    };
    if (status === 'Completed')
      await deps.objects.put(BATCH_OUT, keys.outputKey, OUTPUT_HEADER, { contentType: 'text/csv' });
    await deps.objects.put(BATCH_OUT, keys.summaryKey, `${JSON.stringify(summary, null, 2)}\n`, {
      contentType: 'application/json',
    });
    deps.metrics?.count('BatchJobs', 1, { status });
    deps.metrics?.count('BatchRowErrors', summary.errors);
    log.info('batch finished without a transform job', {
      status,
      reason: reason ?? null,
      rows: counts.rows,
    });
    return { kind: 'finished-early' as const, summary };
  };

  const model = await deps.endpoints.current();
  if (model === null)
    return early('Failed', 'no model is deployed: train and approve one, then drop the file again');

  const stream = await deps.objects.getStream(bucket, ref.key);
  const chunks = bufferChunks(stream);
  const first = await chunks.next();
  const head = first.done ? Buffer.alloc(0) : first.value;
  const errors = new ErrorsFile(deps.objects, keys.errorsKey);
  let preparer;
  try {
    preparer = rowPreparer(sniffFormat(head), {
      validator: modelInputValidator(),
      scorer: deps.scorer,
      noteConcurrency: settings.noteConcurrency,
      onError: (e) => errors.write(e),
    });
    const input = (async function* () {
      if (!first.done) yield head;
      for await (const chunk of chunks) {
        await errors.ready();
        yield chunk;
      }
    })();
    await deps.objects.put(ARTIFACTS, keys.inputKey, Readable.from(preparer.prepare(input)), {
      contentType: 'text/csv',
    });
    await errors.close();
  } catch (e) {
    stream.destroy();
    if (e instanceof FileRefusedError) {
      // Refused as a whole: the summary gives the one reason, and no row was read as a row.
      await errors.close();
      if (errors.count > 0) await deps.objects.delete(BATCH_OUT, keys.errorsKey);
      return early(
        'Failed',
        e.message,
        { ...base, ...(preparer ? { ignored_columns: preparer.stats.ignored_columns } : {}) },
        model,
      );
    }
    errors.abort(e);
    throw e;
  }
  const stats = preparer.stats;
  const counts = {
    rows: stats.rows,
    predicted: 0,
    errors: stats.errors,
    notes_scored: stats.notes_scored,
    ignored_columns: stats.ignored_columns,
  };
  const errorsKey = errors.count > 0 ? keys.errorsKey : null;
  if (stats.valid === 0) return early('Completed', undefined, counts, model, errorsKey);

  const prepared = deps.now();
  const manifest: BatchManifest = {
    job_name: keys.jobName,
    input: { bucket, key: ref.key },
    name: keys.name,
    format: stats.format,
    rows: stats.rows,
    valid: stats.valid,
    errors: stats.errors,
    notes_scored: stats.notes_scored,
    ignored_columns: stats.ignored_columns,
    model_version: model.version,
    model_package_arn: model.packageArn,
    transform_input_key: keys.inputKey,
    transform_output_key: transformOutputKey({
      inputKey: keys.inputKey,
      outputPrefix: keys.transformOutputPrefix,
    }),
    output_key: keys.outputKey,
    errors_key: errorsKey,
    summary_key: keys.summaryKey,
    received_at: received.toISOString(),
    prepared_at: prepared.toISOString(),
    prepare_ms: Math.round(performance.now() - startedMs),
  };
  await deps.objects.put(ARTIFACTS, keys.manifestKey, `${JSON.stringify(manifest, null, 2)}\n`, {
    contentType: 'application/json',
  });
  await deps.transform.start(transformSpec(keys, manifest, settings));
  log.info('batch prepared; transform job started', {
    jobName: keys.jobName,
    rows: stats.rows,
    valid: stats.valid,
    errors: stats.errors,
    prepareMs: manifest.prepare_ms,
  });
  return { kind: 'started', jobName: keys.jobName, manifest };
}

/**
 * The job: the record id rides in column 0, the model sees columns 1…; each output line is
 * joined to its input line and filtered down to `<record_id>,<probability>,<prediction>`.
 */
export function transformSpec(
  keys: BatchKeys,
  manifest: BatchManifest,
  settings: BatchSettings,
): TransformJobSpec {
  return {
    jobName: keys.jobName,
    inputKey: keys.inputKey,
    outputPrefix: keys.transformOutputPrefix,
    modelVersion: manifest.model_version,
    packageArn: manifest.model_package_arn,
    contentType: 'text/csv',
    splitType: 'Line',
    batchStrategy: 'MultiRecord',
    assembleWith: 'Line',
    maxPayloadMb: settings.maxPayloadMb,
    inputFilter: '$[1:]',
    joinSource: 'Input',
    outputFilter: TRANSFORM_OUTPUT_FILTER,
    ...(settings.maxConcurrentTransforms
      ? { maxConcurrentTransforms: settings.maxConcurrentTransforms }
      : {}),
  };
}

/** The record id (first input column) and the model's output columns (the last two). */
export const TRANSFORM_OUTPUT_FILTER = '$[0,-2,-1]';

/**
 * `<name>.errors.jsonl`, created only when a first row fails and streamed from then on, so
 * a file of a million bad rows never sits in memory and a clean file leaves no empty one.
 */
class ErrorsFile {
  private stream: PassThrough | undefined;
  private upload: Promise<void> | undefined;
  private failed: unknown;
  count = 0;

  constructor(
    private readonly objects: ObjectStore,
    private readonly key: string,
  ) {}

  write(error: RowError): void {
    if (this.stream === undefined) {
      this.stream = new PassThrough();
      this.upload = this.objects
        .put(BATCH_OUT, this.key, this.stream, { contentType: 'application/jsonl' })
        .catch((e: unknown) => {
          this.failed = e;
        });
    }
    this.count++;
    this.stream.write(`${JSON.stringify(error)}\n`);
  }

  /** Waits while the upload is behind, so errors never pile up in memory. */
  async ready(): Promise<void> {
    if (this.failed) throw this.failed;
    if (this.stream?.writableNeedDrain) {
      await Promise.race([once(this.stream, 'drain'), this.upload]);
      if (this.failed) throw this.failed;
    }
  }

  async close(): Promise<void> {
    if (this.stream === undefined) return;
    this.stream.end();
    await this.upload;
    if (this.failed) throw this.failed;
  }

  abort(e: unknown): void {
    this.stream?.destroy(e instanceof Error ? e : new Error(String(e)));
  }
}
