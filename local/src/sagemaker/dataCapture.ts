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
  /** Writes `body` (whole JSON lines) for the hour folder `hourPrefix` (ends in `/`). */
  write(hourPrefix: string, body: string): Promise<void>;
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
  /** Lines waiting per hour folder, and their total size. */
  private buffers = new Map<string, string[]>();
  private bufferedBytes = 0;
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
    if (this.bufferedBytes + line.length > this.maxPendingBytes) {
      this.dropped += 1;
      return;
    }
    const prefix = captureHourPrefix(this.endpointName, time);
    let lines = this.buffers.get(prefix);
    if (lines === undefined) {
      lines = [];
      this.buffers.set(prefix, lines);
    }
    lines.push(line);
    this.bufferedBytes += line.length;
    if (this.bufferedBytes >= this.maxBufferBytes) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), this.flushIntervalMs).unref();
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

  private async writeBatch(batch: Map<string, string[]>): Promise<void> {
    for (const [prefix, lines] of batch) {
      try {
        await this.sink.write(prefix, lines.join(''));
        this.written += lines.length;
      } catch (e) {
        this.dropped += lines.length;
        this.log.error('data capture write failed; records dropped', {
          endpoint: this.endpointName,
          records: lines.length,
          error: errorMessage(e),
        });
      }
    }
  }
}
