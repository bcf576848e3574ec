import { Readable } from 'node:stream';
import { z } from 'zod';
import { ourEvent } from '@cancer-mlops/shared/contracts/events.ts';
import { copySpan } from '@cancer-mlops/shared/domain/copySpan.ts';
import type { EventPublisher } from '@cancer-mlops/shared/ports/messaging.ts';
import type { ObjectStore } from '@cancer-mlops/shared/ports/objectStore.ts';
import { createLogger, type Log } from '@cancer-mlops/shared/runtime/logger.ts';
import {
  ARTIFACTS,
  BATCH_OUT,
  OUTPUT_HEADER,
  manifestKeyOf,
  type BatchManifest,
  type BatchStatus,
  type BatchSummary,
} from './batchKeys.ts';
import type { MetricsSink } from '@cancer-mlops/shared/ports/stateStore.ts';

/**
 * batch.onTransformDone: when a transform job ends, its raw output (`<record_id>,<probability>,
 * <prediction>` per line, in input order, joined by the job itself) becomes `<name>.out` with
 * a header and the model version on every line; `<name>.summary.json` says what happened;
 * `BatchCompleted` tells everyone else. The output is streamed line by line, so memory stays
 * flat whatever the file size.
 */

export const TransformJobStateChangeDetailSchema = z
  .object({
    TransformJobName: z.string(),
    TransformJobStatus: z.enum(['InProgress', 'Completed', 'Failed', 'Stopping', 'Stopped']),
    FailureReason: z.string().optional(),
    TransformStartTime: z.string().optional(),
    TransformEndTime: z.string().optional(),
  })
  .passthrough();
export type TransformJobStateChangeDetail = z.infer<typeof TransformJobStateChangeDetailSchema>;

export interface CompleteDeps {
  objects: ObjectStore;
  events: EventPublisher;
  now: () => Date;
  log?: Log;
  /** Counts finished batches and their rows (`BatchJobs`, `BatchRowsPredicted`, `BatchRowErrors`). */
  metrics?: MetricsSink;
}

export async function completeBatch(
  deps: CompleteDeps,
  detail: TransformJobStateChangeDetail,
): Promise<BatchSummary | undefined> {
  const log = deps.log ?? createLogger('batch');
  const jobName = detail.TransformJobName;
  const status = detail.TransformJobStatus;
  if (status !== 'Completed' && status !== 'Failed' && status !== 'Stopped') return undefined;
  const raw = await deps.objects.get(ARTIFACTS, manifestKeyOf(jobName));
  if (!raw) {
    // A job of this deployment's prefix that batch did not start (or whose manifest is gone).
    log.warn('transform job without a batch manifest; ignored', { jobName });
    return undefined;
  }
  const manifest = JSON.parse(raw.toString('utf8')) as BatchManifest;
  const finalizeStarted = performance.now();

  let finalStatus: BatchStatus = status;
  let failureReason =
    status === 'Completed'
      ? undefined
      : (detail.FailureReason ?? `transform job ${status.toLowerCase()}`);
  let predicted = 0;
  if (status === 'Completed') {
    const source = await deps.objects.getStream(ARTIFACTS, manifest.transform_output_key);
    const writer = new OutputWriter(manifest.model_version);
    try {
      await deps.objects.put(BATCH_OUT, manifest.output_key, Readable.from(writer.lines(source)), {
        contentType: 'text/csv',
      });
    } finally {
      source.destroy();
    }
    predicted = writer.lines_;
    if (predicted !== manifest.valid) {
      finalStatus = 'Failed';
      failureReason = `the transform returned ${predicted} predictions for ${manifest.valid} rows`;
    }
  }

  const completed = deps.now();
  const transformMs =
    detail.TransformStartTime && detail.TransformEndTime
      ? Date.parse(detail.TransformEndTime) - Date.parse(detail.TransformStartTime)
      : undefined;
  const summary: BatchSummary = {
    job_name: jobName,
    status: finalStatus,
    ...(failureReason ? { failure_reason: failureReason.slice(0, 1000) } : {}),
    input: manifest.input,
    output_key: status === 'Completed' ? manifest.output_key : null,
    errors_key: manifest.errors_key,
    rows: manifest.rows,
    predicted,
    errors: manifest.errors,
    notes_scored: manifest.notes_scored,
    ignored_columns: manifest.ignored_columns,
    model_version: manifest.model_version,
    model_package_arn: manifest.model_package_arn,
    timings: {
      received_at: manifest.received_at,
      prepared_at: manifest.prepared_at,
      completed_at: completed.toISOString(),
      prepare_ms: manifest.prepare_ms,
      ...(transformMs !== undefined && Number.isFinite(transformMs)
        ? { transform_s: Math.round(transformMs / 1000) }
        : {}),
      finalize_ms: Math.round(performance.now() - finalizeStarted),
      total_ms: completed.getTime() - Date.parse(manifest.received_at),
    },
  };
  await deps.objects.put(BATCH_OUT, manifest.summary_key, `${JSON.stringify(summary, null, 2)}\n`, {
    contentType: 'application/json',
  });
  await deps.events.publish([
    ourEvent('BatchCompleted', {
      job_name: jobName,
      input_key: manifest.input.key,
      output_key: manifest.output_key,
      errors_key: manifest.errors_key,
      summary_key: manifest.summary_key,
      rows: manifest.rows,
      predicted,
      errors: manifest.errors,
      model_version: String(manifest.model_version),
      status: finalStatus,
    }),
  ]);
  deps.metrics?.count('BatchJobs', 1, { status: finalStatus });
  deps.metrics?.count('BatchRowsPredicted', predicted);
  deps.metrics?.count('BatchRowErrors', manifest.errors);
  log.info('batch completed', {
    jobName,
    status: finalStatus,
    rows: manifest.rows,
    predicted,
    errors: manifest.errors,
  });
  return summary;
}

/** Rewrites the job's lines as `<line>,<model version>` under the header, counting them. */
class OutputWriter {
  lines_ = 0;
  private readonly suffix: Buffer;

  constructor(modelVersion: number) {
    this.suffix = Buffer.from(`,${modelVersion}\n`);
  }

  async *lines(source: AsyncIterable<unknown>): AsyncGenerator<Buffer> {
    yield Buffer.from(OUTPUT_HEADER);
    let carry: Buffer | undefined;
    for await (const piece of source) {
      const chunk = Buffer.isBuffer(piece) ? piece : Buffer.from(piece as string);
      const buf = carry ? Buffer.concat([carry, chunk]) : chunk;
      carry = undefined;
      const { out, rest } = this.rewrite(buf);
      if (out.length > 0) yield out;
      if (rest < buf.length) carry = Buffer.from(buf.subarray(rest));
    }
    if (carry && carry.length > 0) {
      const { out } = this.rewrite(Buffer.concat([carry, Buffer.from('\n')]));
      if (out.length > 0) yield out;
    }
  }

  /** Every complete line of `buf`; `rest` is where the incomplete last one starts. */
  private rewrite(buf: Buffer): { out: Buffer; rest: number } {
    const suffix = this.suffix;
    const rest = buf.lastIndexOf(0x0a) + 1;
    // Each line grows by the suffix less its own line break.
    let lines = 0;
    for (let i = buf.indexOf(0x0a); i !== -1 && i < rest; i = buf.indexOf(0x0a, i + 1)) lines++;
    // The lines go at the tail of the output and are moved to the front one by one, each
    // written behind the bytes still to read (copyWithin: no per-line copy object).
    const out = Buffer.allocUnsafe(rest + lines * suffix.length);
    let a = out.length - rest;
    buf.copy(out, a, 0, rest);
    let o = 0;
    while (a < out.length) {
      const lf = out.indexOf(0x0a, a);
      const end = lf > a && out[lf - 1] === 0x0d ? lf - 1 : lf;
      if (end > a) {
        out.copyWithin(o, a, end);
        o += end - a;
        o += copySpan(suffix, 0, suffix.length, out, o);
        this.lines_++;
      }
      a = lf + 1;
    }
    return { out: out.subarray(0, o), rest };
  }
}
