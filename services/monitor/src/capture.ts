import type { ObjectStore } from '@cancer-mlops/shared/ports/objectStore.ts';
import { csvLines, csvNumber, splitCsvLine } from '@cancer-mlops/shared/domain/drift/csv.ts';
import { describeError } from '@cancer-mlops/shared/runtime/errors.ts';

/**
 * Reads SageMaker data capture: JSON Lines files in the `artifacts` bucket under
 * `capture/<endpoint>/<variant>/<yyyy>/<mm>/<dd>/<hh>/<file>.jsonl`, one invocation per line:
 *
 *   {"captureData": {"endpointInput":  {"observedContentType", "mode": "INPUT",  "data", "encoding"},
 *                    "endpointOutput": {"observedContentType", "mode": "OUTPUT", "data", "encoding"}},
 *    "eventMetadata": {"eventId", "inferenceId"?, "inferenceTime"}, "eventVersion": "0"}
 *
 * `encoding` is JSON, CSV or BASE64 (then the content type says which). A bad line is skipped
 * and counted by reason; a bad file never stops the run.
 */

export const CAPTURE_BUCKET = 'artifacts';
export const CAPTURE_PREFIX = 'capture/';

const CAPTURE_KEY = /^capture\/([^/]+)\/([^/]+)\/(\d{4})\/(\d{2})\/(\d{2})\/(\d{2})\/[^/]+$/;

export interface CaptureKey {
  key: string;
  endpoint: string;
  variant: string;
  /** Start of the UTC hour the file belongs to. */
  hour: Date;
}

export function parseCaptureKey(key: string): CaptureKey | undefined {
  const m = CAPTURE_KEY.exec(key);
  if (!m) return undefined;
  const hour = new Date(Date.UTC(Number(m[3]), Number(m[4]) - 1, Number(m[5]), Number(m[6])));
  if (Number.isNaN(hour.getTime())) return undefined;
  return { key, endpoint: m[1], variant: m[2], hour };
}

export interface CapturedPrediction {
  /** Probability of malignancy. */
  probability?: number;
  /** The class returned (1 = malignant). */
  label?: 0 | 1;
  modelVersion?: string;
}

export interface CapturedRow {
  /** inferenceId when the caller set one, else eventId; `<id>#<i>` for the i-th of several instances. */
  inferenceId: string | null;
  time: string | null;
  /** Feature values as sent: JSON values, or numbers (or raw strings) from a CSV payload. */
  values: Record<string, unknown>;
  prediction?: CapturedPrediction;
}

export type LineResult = { ok: true; rows: CapturedRow[] } | { ok: false; reason: string };

interface CapturePart {
  observedContentType?: unknown;
  data?: unknown;
  encoding?: unknown;
}

type Payload = { kind: 'json'; value: unknown } | { kind: 'csv'; lines: string[][] };

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function decode(part: CapturePart, what: string): Payload | string {
  if (typeof part.data !== 'string') return `${what} data is missing`;
  const encoding = typeof part.encoding === 'string' ? part.encoding.toUpperCase() : 'JSON';
  const contentType =
    typeof part.observedContentType === 'string' ? part.observedContentType.toLowerCase() : '';
  let text = part.data;
  let kind: 'json' | 'csv';
  if (encoding === 'JSON') kind = 'json';
  else if (encoding === 'CSV') kind = 'csv';
  else if (encoding === 'BASE64') {
    text = Buffer.from(part.data, 'base64').toString('utf8');
    kind = contentType.includes('csv') ? 'csv' : 'json';
  } else return `unsupported ${what} encoding`;
  if (kind === 'csv') return { kind, lines: csvLines(text).map(splitCsvLine) };
  try {
    return { kind, value: JSON.parse(text) as unknown };
  } catch {
    return `${what} payload is not valid JSON`;
  }
}

function csvRow(
  cells: string[],
  featureOrder: readonly string[],
): Record<string, unknown> | string {
  if (cells.length !== featureOrder.length)
    return `CSV instance has ${cells.length} values, the model takes ${featureOrder.length}`;
  const row: Record<string, unknown> = {};
  featureOrder.forEach((name, i) => {
    const cell = cells[i];
    const v = csvNumber(cell);
    // A non-numeric cell is kept as a string so the data type check can count it.
    row[name] = cell === '' ? null : Number.isNaN(v) ? cell : v;
  });
  return row;
}

function inputRows(
  payload: Payload,
  featureOrder: readonly string[],
): Record<string, unknown>[] | string {
  if (payload.kind === 'csv') {
    const rows: Record<string, unknown>[] = [];
    for (const cells of payload.lines) {
      const r = csvRow(cells, featureOrder);
      if (typeof r === 'string') return r;
      rows.push(r);
    }
    return rows.length ? rows : 'input payload holds no instance';
  }
  const v = payload.value;
  const instances =
    isObject(v) && Array.isArray(v.instances)
      ? v.instances
      : Array.isArray(v)
        ? v
        : isObject(v)
          ? [v]
          : undefined;
  if (!instances || instances.length === 0) return 'input payload holds no instance';
  const rows: Record<string, unknown>[] = [];
  for (const inst of instances) {
    if (isObject(inst)) rows.push({ ...inst });
    else if (Array.isArray(inst)) {
      // String() of a nested array recurses: a hostile line 10,000 deep would overflow the stack.
      if (inst.some((x) => typeof x === 'object' && x !== null))
        return 'an instance holds nested arrays or objects';
      const r = csvRow(
        inst.map((x) => (x === null || x === undefined ? '' : String(x))),
        featureOrder,
      );
      if (typeof r === 'string') return r.replace('CSV instance', 'instance');
      rows.push(r);
    } else return 'an instance is neither an object nor an array';
  }
  return rows;
}

const MALIGNANT = new Set(['malignant', 'm', '1', 'true']);
const BENIGN = new Set(['benign', 'b', '0', 'false']);

function labelOf(v: unknown): 0 | 1 | undefined {
  if (v === undefined || v === null) return undefined;
  const s = String(v).trim().toLowerCase();
  return MALIGNANT.has(s) ? 1 : BENIGN.has(s) ? 0 : undefined;
}

function predictionOf(item: unknown): CapturedPrediction | undefined {
  if (typeof item === 'number' && Number.isFinite(item)) return { probability: item };
  if (!isObject(item)) return undefined;
  const p = item.probability_malignant ?? item.probability ?? item.score;
  const out: CapturedPrediction = {};
  if (typeof p === 'number' && Number.isFinite(p)) out.probability = p;
  const label = labelOf(item.prediction ?? item.predicted_label ?? item.label ?? item.class);
  if (label !== undefined) out.label = label;
  const version = item.model_version ?? item.modelVersion;
  if (typeof version === 'string') out.modelVersion = version;
  return out;
}

function outputPredictions(payload: Payload): (CapturedPrediction | undefined)[] {
  if (payload.kind === 'csv') {
    return payload.lines.map((cells) => {
      const p = csvNumber(cells[0]);
      const label = labelOf(cells[1]);
      return {
        ...(Number.isNaN(p) ? {} : { probability: p }),
        ...(label === undefined ? {} : { label }),
      };
    });
  }
  const v = payload.value;
  const list =
    isObject(v) && Array.isArray(v.predictions) ? v.predictions : Array.isArray(v) ? v : [v];
  return list.map(predictionOf);
}

/** One capture line to its rows (one per instance of the request), or the reason it is skipped. */
export function parseCaptureLine(line: string, featureOrder: readonly string[]): LineResult {
  try {
    return parseLine(line, featureOrder);
  } catch (e) {
    // One unreadable line is skipped with its reason; it never stops a monitoring run.
    return {
      ok: false,
      reason: `unreadable capture record (${e instanceof Error ? e.name : 'error'})`,
    };
  }
}

function parseLine(line: string, featureOrder: readonly string[]): LineResult {
  let record: unknown;
  try {
    record = JSON.parse(line);
  } catch {
    return { ok: false, reason: 'malformed JSON line (truncated or corrupted)' };
  }
  if (
    !isObject(record) ||
    !isObject(record.captureData) ||
    !isObject(record.captureData.endpointInput)
  ) {
    return { ok: false, reason: 'not a capture record (no captureData.endpointInput)' };
  }
  const input = decode(record.captureData.endpointInput, 'input');
  if (typeof input === 'string') return { ok: false, reason: input };
  const rows = inputRows(input, featureOrder);
  if (typeof rows === 'string') return { ok: false, reason: rows };

  let predictions: (CapturedPrediction | undefined)[] = [];
  if (isObject(record.captureData.endpointOutput)) {
    const output = decode(record.captureData.endpointOutput, 'output');
    // An unreadable output loses the prediction, not the input row: drift needs only inputs.
    if (typeof output !== 'string') predictions = outputPredictions(output);
  }
  const meta = isObject(record.eventMetadata) ? record.eventMetadata : {};
  const id =
    typeof meta.inferenceId === 'string'
      ? meta.inferenceId
      : typeof meta.eventId === 'string'
        ? meta.eventId
        : null;
  const time =
    typeof meta.inferenceTime === 'string' && !Number.isNaN(Date.parse(meta.inferenceTime))
      ? meta.inferenceTime
      : null;
  return {
    ok: true,
    rows: rows.map((values, i) => {
      const prediction = predictions[i];
      return {
        inferenceId: id === null ? null : rows.length === 1 ? id : `${id}#${i}`,
        time,
        values,
        ...(prediction ? { prediction } : {}),
      };
    }),
  };
}

export interface CaptureTarget {
  key: string;
  /** Lines already consumed by an earlier window (a file that grew locally). */
  skipLines: number;
}

export interface FileProblem {
  key: string;
  reason: string;
  /** Records of the file that were read, and skipped. */
  records: number;
  skipped: number;
}

export interface CaptureReadResult {
  rows: CapturedRow[];
  filesRead: number;
  /** Files skipped whole (unreadable, or not one valid record) or with skipped records. */
  problems: FileProblem[];
  recordsRead: number;
  recordsSkipped: number;
  skippedReasons: Record<string, number>;
  /** Lines and bytes of each file read, for the cursor. */
  consumed: Map<string, { lines: number; size: number }>;
}

/** Reads capture files, skipping (and counting) whatever cannot be used. */
export async function readCaptureFiles(
  objects: Pick<ObjectStore, 'get'>,
  targets: readonly CaptureTarget[],
  featureOrder: readonly string[],
): Promise<CaptureReadResult> {
  const result: CaptureReadResult = {
    rows: [],
    filesRead: 0,
    problems: [],
    recordsRead: 0,
    recordsSkipped: 0,
    skippedReasons: {},
    consumed: new Map(),
  };
  for (const { key, skipLines } of targets) {
    let body: Buffer | undefined;
    try {
      body = await objects.get(CAPTURE_BUCKET, key);
    } catch (e) {
      result.problems.push({
        key,
        reason: `unreadable: ${describeError(e)}`,
        records: 0,
        skipped: 0,
      });
      continue;
    }
    if (body === undefined) {
      result.problems.push({
        key,
        reason: 'deleted before it could be read',
        records: 0,
        skipped: 0,
      });
      continue;
    }
    result.filesRead++;
    const lines = body.toString('utf8').split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    result.consumed.set(key, { lines: lines.length, size: body.length });
    let records = 0;
    let skipped = 0;
    let firstReason: string | undefined;
    for (const line of lines.slice(skipLines)) {
      if (line.trim() === '') continue;
      records++;
      const parsed = parseCaptureLine(line, featureOrder);
      if (parsed.ok) result.rows.push(...parsed.rows);
      else {
        skipped++;
        firstReason ??= parsed.reason;
        result.skippedReasons[parsed.reason] = (result.skippedReasons[parsed.reason] ?? 0) + 1;
      }
    }
    result.recordsRead += records;
    result.recordsSkipped += skipped;
    if (skipped > 0) {
      const reason =
        skipped === records
          ? `no valid capture record (${firstReason})`
          : `${skipped} of ${records} records skipped (first: ${firstReason})`;
      result.problems.push({ key, reason, records, skipped });
    }
  }
  return result;
}
