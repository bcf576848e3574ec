import { randomUUID } from 'node:crypto';
import { appendFile, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { ObjectStore } from '@cancer-mlops/shared/ports/objectStore.ts';
import { errorMessage, silentLog, type RuntimeLog } from '../log.ts';

/**
 * SageMaker's data capture, locally. An endpoint with DataCaptureConfig writes every request
 * and response as one JSON line to `<prefix>/<endpoint>/AllTraffic/yyyy/mm/dd/hh/<file>.jsonl`;
 * the monitor reads these files on AWS and locally alike, so the format is SageMaker's own:
 *
 *   {"captureData":{"endpointInput":{"observedContentType":"application/json","mode":"INPUT",
 *    "data":"{\"instances\":[…]}","encoding":"JSON"},"endpointOutput":{…,"mode":"OUTPUT",…}},
 *    "eventMetadata":{"eventId":"…","inferenceId":"…","inferenceTime":"…"},"eventVersion":"0"}
 *
 * Recording never touches the disk: a record is serialised into an in-memory buffer and the
 * buffer is written at most every `flushIntervalMs` (or sooner when it grows past
 * `maxBufferBytes`), one write per hour folder, so capture costs /predict a string append.
 * The buffers are bytes outside the JavaScript heap, reused from flush to flush: records held
 * as strings for half a second outlived the young generation under load, and the old
 * generation they were promoted to grew by megabytes a second and kept its pages after.
 */

/** The capture-data prefix in the artifacts bucket (SageMaker's DestinationS3Uri). */
export const CAPTURE_PREFIX = 'capture/';
export const CAPTURE_BUCKET = 'artifacts';

export interface CaptureEvent {
  /** The caller's InferenceId, kept so ground truth can be joined to the prediction later. */
  inferenceId?: string;
  /** The body sent to /invocations (only model features: never a note or a patient id). */
  input: string | Uint8Array;
  output: string | Uint8Array;
  inputContentType?: string;
  outputContentType?: string;
  /** When the inference happened; the writer's clock when absent. */
  time?: Date;
}

export interface CaptureRecord {
  captureData: {
    endpointInput: CaptureData & { mode: 'INPUT' };
    endpointOutput: CaptureData & { mode: 'OUTPUT' };
  };
  eventMetadata: { eventId: string; inferenceId?: string; inferenceTime: string };
  eventVersion: '0';
}

export interface CaptureData {
  observedContentType: string;
  mode: 'INPUT' | 'OUTPUT';
  data: string;
  encoding: 'JSON' | 'CSV' | 'BASE64';
}

/** Where capture files go: a new object per write, or appends to one file per hour. */
export interface CaptureSink {
  /**
   * Writes `body` (whole JSON lines, UTF-8) for the hour folder `hourPrefix` (ends in `/`).
   * The bytes are the writer's to reuse once the returned promise settles.
   */
  write(hourPrefix: string, body: Uint8Array): Promise<void>;
}

/** Each flush becomes its own object, as SageMaker rolls many files per hour. */
export function objectStoreCaptureSink(objects: ObjectStore, bucket = CAPTURE_BUCKET): CaptureSink {
  return {
    async write(hourPrefix, body) {
      await objects.put(bucket, `${hourPrefix}${randomUUID()}.jsonl`, body, {
        contentType: 'application/jsonl',
      });
    },
  };
}

/**
 * Appends to one file per hour folder under `root` (the artifacts bucket's folder), named
 * once per writer, so an hour of traffic is one file per process rather than thousands.
 */
export function folderCaptureSink(root: string): CaptureSink {
  const files = new Map<string, string>();
  return {
    async write(hourPrefix, body) {
      let file = files.get(hourPrefix);
      if (file === undefined) {
        file = join(root, ...`${hourPrefix}${randomUUID()}.jsonl`.split('/'));
        await mkdir(dirname(file), { recursive: true });
        files.set(hourPrefix, file);
      }
      await appendFile(file, body);
    },
  };
}

export interface DataCaptureOptions {
  sink: CaptureSink;
  endpointName: string;
  now?: () => Date;
  /** Longest a record waits in memory before it is written. */
  flushIntervalMs?: number;
  /** A buffer this large is written at once, whatever the interval. */
  maxBufferBytes?: number;
  /** Buffered bytes past which new records are dropped (and counted) while the sink is stuck. */
  maxPendingBytes?: number;
  log?: RuntimeLog;
}

/** Records waiting for one hour folder: UTF-8 JSON lines in `buf[0, bytes)`. */
interface Pending {
  buf: Buffer;
  bytes: number;
  records: number;
}

const MIN_BUFFER_BYTES = 64 * 1024;

const pad = (n: number) => (n < 10 ? `0${n}` : String(n));

/** `capture/<endpoint>/AllTraffic/yyyy/mm/dd/hh/` for a time, in UTC as SageMaker does. */
export function captureHourPrefix(endpointName: string, t: Date): string {
  return (
    `${CAPTURE_PREFIX}${endpointName}/AllTraffic/${t.getUTCFullYear()}/${pad(t.getUTCMonth() + 1)}/` +
    `${pad(t.getUTCDate())}/${pad(t.getUTCHours())}/`
  );
}

const textDecoder = new TextDecoder();

function captureData(
  mode: 'INPUT' | 'OUTPUT',
  body: string | Uint8Array,
  contentType: string,
): CaptureData {
  const type = contentType.split(';')[0].trim().toLowerCase();
  const isJson =
    type === 'application/json' || type === 'application/jsonlines' || type === 'application/jsonl';
  const isCsv = type === 'text/csv';
  if (isJson || isCsv) {
    const data = typeof body === 'string' ? body : textDecoder.decode(body);
    return { observedContentType: contentType, mode, data, encoding: isJson ? 'JSON' : 'CSV' };
  }
  const data = Buffer.from(typeof body === 'string' ? Buffer.from(body, 'utf8') : body).toString(
    'base64',
  );
  return { observedContentType: contentType, mode, data, encoding: 'BASE64' };
}

/** One capture record, exactly as SageMaker writes it. */
export function captureRecord(
  event: CaptureEvent,
  time: Date,
  eventId: string = randomUUID(),
): CaptureRecord {
  return {
    captureData: {
      endpointInput: captureData(
        'INPUT',
        event.input,
        event.inputContentType ?? 'application/json',
      ) as CaptureData & {
        mode: 'INPUT';
      },
      endpointOutput: captureData(
        'OUTPUT',
        event.output,
        event.outputContentType ?? 'application/json',
      ) as CaptureData & {
        mode: 'OUTPUT';
      },
    },
    eventMetadata: {
      eventId,
      ...(event.inferenceId !== undefined ? { inferenceId: event.inferenceId } : {}),
      inferenceTime: time.toISOString(),
    },
    eventVersion: '0',
  };
}

export class DataCaptureWriter {
  readonly endpointName: string;
  private readonly sink: CaptureSink;
  private readonly now: () => Date;
  private readonly flushIntervalMs: number;
  private readonly maxBufferBytes: number;
  private readonly maxPendingBytes: number;
  private readonly log: RuntimeLog;
  /** Records waiting per hour folder, and their total size. */
  private buffers = new Map<string, Pending>();
  private bufferedBytes = 0;
  /** Buffers of written batches, for the next ones (at most two are kept). */
  private readonly spare: Buffer[] = [];
  private writing: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  /** Records written, and records lost (sink failures or a full buffer), for status and tests. */
  written = 0;
  dropped = 0;

  constructor(options: DataCaptureOptions) {
    this.sink = options.sink;
    this.endpointName = options.endpointName;
    this.now = options.now ?? (() => new Date());
    this.flushIntervalMs = Math.min(1000, Math.max(1, options.flushIntervalMs ?? 500));
    this.maxBufferBytes = options.maxBufferBytes ?? 4 * 1024 * 1024;
    this.maxPendingBytes = options.maxPendingBytes ?? 64 * 1024 * 1024;
    this.log = options.log ?? silentLog;
  }

  /** Buffers one request/response; never waits for the disk. */
  record(event: CaptureEvent): void {
    if (this.closed) {
      this.dropped += 1;
      return;
    }
    const time = event.time ?? this.now();
    const line = `${JSON.stringify(captureRecord(event, time))}\n`;
    // Room for the line's UTF-8 (at most 3 bytes per UTF-16 unit), so it is encoded once.
    const most = line.length * 3;
    if (
      this.bufferedBytes + most > this.maxPendingBytes &&
      this.bufferedBytes + Buffer.byteLength(line, 'utf8') > this.maxPendingBytes
    ) {
      this.dropped += 1;
      return;
    }
    const prefix = captureHourPrefix(this.endpointName, time);
    let pending = this.buffers.get(prefix);
    if (pending === undefined) {
      pending = { buf: this.take(most), bytes: 0, records: 0 };
      this.buffers.set(prefix, pending);
    } else if (pending.bytes + most > pending.buf.length) {
      const grown = Math.min(pending.buf.length * 2, this.maxBufferBytes);
      const bigger = this.take(Math.max(grown, pending.bytes + most));
      pending.buf.copy(bigger, 0, 0, pending.bytes);
      this.give(pending.buf);
      pending.buf = bigger;
    }
    const size = pending.buf.write(line, pending.bytes, 'utf8');
    pending.bytes += size;
    pending.records += 1;
    this.bufferedBytes += size;
    if (this.bufferedBytes >= this.maxBufferBytes) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), this.flushIntervalMs).unref();
  }

  /**
   * A buffer of at least `bytes`: the largest spare when it is large enough, so that a busy
   * endpoint's buffers settle at the flush size instead of growing from small every time
   * (fresh multi-megabyte buffers count towards V8's external memory and bring on collections).
   */
  private take(bytes: number): Buffer {
    const largest = this.spare.pop();
    if (largest && largest.length >= bytes) return largest;
    if (largest) this.spare.push(largest);
    const size = Math.max(
      MIN_BUFFER_BYTES,
      Math.min(this.maxBufferBytes, 2 ** Math.ceil(Math.log2(bytes))),
    );
    return Buffer.allocUnsafeSlow(Math.max(size, bytes));
  }

  /** Keeps the two largest buffers given back, smallest first. */
  private give(buf: Buffer): void {
    this.spare.push(buf);
    this.spare.sort((a, b) => a.length - b.length);
    if (this.spare.length > 2) this.spare.shift();
  }

  /** Writes everything buffered so far; resolves once it is in the sink. */
  flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const batch = this.buffers;
    if (batch.size > 0) {
      this.buffers = new Map();
      this.bufferedBytes = 0;
      // Writes are chained: a slow sink never sees two writes to one file at once.
      this.writing = this.writing.then(() => this.writeBatch(batch));
    }
    return this.writing;
  }

  /** Flushes and stops accepting records. */
  async close(): Promise<void> {
    this.closed = true;
    await this.flush();
  }

  private async writeBatch(batch: Map<string, Pending>): Promise<void> {
    for (const [prefix, pending] of batch) {
      try {
        await this.sink.write(prefix, pending.buf.subarray(0, pending.bytes));
        this.written += pending.records;
      } catch (e) {
        this.dropped += pending.records;
        this.log.error('data capture write failed; records dropped', {
          endpoint: this.endpointName,
          records: pending.records,
          error: errorMessage(e),
        });
      }
      this.give(pending.buf);
    }
  }
}
