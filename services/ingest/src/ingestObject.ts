import { createHash } from 'node:crypto';
import {
  aliasIndex,
  normaliseHeader,
  WDBC_FEATURE_GROUP,
  type FeatureGroup,
} from '@cancer-mlops/shared/contracts/featureGroup.ts';
import { ourEvent } from '@cancer-mlops/shared/contracts/events.ts';
import {
  NoteToScoreMessageSchema,
  type NoteToScoreMessage,
} from '@cancer-mlops/shared/contracts/messages.ts';
import type { EventPublisher, QueueSender } from '@cancer-mlops/shared/ports/messaging.ts';
import type { ObjectInfo, ObjectStore } from '@cancer-mlops/shared/ports/objectStore.ts';
import type {
  MetricsSink,
  SecretStore,
  StateStore,
} from '@cancer-mlops/shared/ports/stateStore.ts';
import { describeError } from '@cancer-mlops/shared/runtime/errors.ts';
import { createLogger, type Log } from '@cancer-mlops/shared/runtime/logger.ts';
import { isS3TestEvent, parseS3Records } from '@cancer-mlops/shared/runtime/s3Event.ts';
import { logicalName, type NameContext } from '@cancer-mlops/shared/topology/names.ts';
import { columnLabel } from '@cancer-mlops/shared/domain/validation/columnLabel.ts';
import { DecimalMark } from '@cancer-mlops/shared/domain/csv/decimalMark.ts';
import { deriveRecordId, pseudonymise, PSEUDONYM_SECRET } from './identity.ts';
import {
  AMBIGUOUS_TARGET_REASON,
  isAmbiguousTarget,
  mapHeader,
  type ColumnMap,
} from './parse/header.ts';
import { readCsvRecords, readJsonLines } from './parse/readers.ts';
import { peek, sniffFormat, type FileFormat } from './parse/sniff.ts';
import {
  quarantineFields,
  validateFields,
  type FieldReason,
  type ValidRow,
} from './parse/validate.ts';
import type { RawValue } from './parse/values.ts';
import {
  INCOMING_PREFIX,
  QuarantineWriter,
  quarantineKeys,
  type IngestSummary,
} from './quarantine.ts';
import { SameFileRecords } from './sameFileRecords.ts';

export const NOTES_TO_SCORE = 'notes-to-score';
/** StateStore namespace of the first-ingest record of each file (see README: "Event time"). */
export const INGEST_FILES_NAMESPACE = 'ingest-files';
/** Accepted rows go to the queue in groups of this many (one SendMessageBatch each). */
export const SEND_BATCH = 10;
/** SQS's classic message size limit; a bigger record is quarantined, not truncated. */
export const MAX_MESSAGE_BYTES = 256 * 1024;
/**
 * A note this short fits whatever its characters and the rest of the row: JSON writes a
 * character in 6 bytes at most (a control character or a lone surrogate as `\u000b`).
 */
const NOTE_CHARS_ALWAYS_FIT = 40_000;
const messageBytes = (m: unknown) => Buffer.byteLength(JSON.stringify(m), 'utf8');

export interface IngestDeps {
  names: NameContext;
  objects: ObjectStore;
  queues: QueueSender;
  events: EventPublisher;
  state: StateStore;
  secrets: SecretStore;
  metrics: MetricsSink;
  now: () => Date;
  group?: FeatureGroup;
  log?: Log;
}

/** An object named in an S3 notification: physical bucket, decoded key. */
export interface ObjectRef {
  bucket: string;
  key: string;
  size?: number;
  eventName?: string;
}

interface FileIdentity {
  ingest_id: string;
  default_event_time: string;
  first_key: string;
}

/** A row on its way through: its number in the file and its fields by canonical name. */
interface SourceRow {
  row: number;
  fields?: Map<string, RawValue>;
  reasons?: FieldReason[];
}

/**
 * Ingests one hospital file from `raw/incoming/`: reads it as a stream, validates every row
 * against the feature group, pseudonymises patient ids, sends accepted rows to
 * `notes-to-score` ten at a time, streams rejected rows with their reasons to
 * `raw/quarantine/<key>.errors.jsonl`, and writes `<key>.summary.json` for every file. A
 * file that is not CSV or JSON Lines at all gets a summary saying why and nothing else.
 *
 * Dropping the same file again sends the same records (same ids, same event times), which
 * the feature store recognises as duplicates: see README.md.
 */
export async function ingestObject(
  deps: IngestDeps,
  ref: ObjectRef,
): Promise<IngestSummary | undefined> {
  const log = deps.log ?? createLogger('ingest');
  const group = deps.group ?? WDBC_FEATURE_GROUP;
  const bucket = logicalName(deps.names, ref.bucket);
  if (bucket === undefined) {
    throw new Error(
      `bucket ${ref.bucket} does not belong to ${deps.names.prefix}-${deps.names.stage}`,
    );
  }
  if (!ref.key.startsWith(INCOMING_PREFIX) || ref.key.endsWith('/')) {
    log.warn('object outside incoming/ or a folder marker; ignored', { bucket: ref.bucket });
    return undefined;
  }
  const info = await deps.objects.head(bucket, ref.key);
  if (!info) {
    // Deleted between the notification and now: nothing to ingest, nothing to retry.
    log.warn('object no longer exists; ignored', { bucket: ref.bucket });
    return undefined;
  }

  const identity = await fileIdentity(deps, ref.key, info);
  const keys = quarantineKeys(ref.key);
  const quarantine = new QuarantineWriter(deps.objects, bucket, keys.errors);
  const counts = { rows: 0, accepted: 0, quarantined: 0 };
  const reasonCounts: Record<string, number> = {};
  const ignored = new Set<string>();
  let format: FileFormat = { kind: 'refused', reason: 'not read' };
  let fileError: string | undefined;
  let stoppedAtRow: number | undefined;

  let pseudonymKey: Promise<string> | undefined;
  const pseudonymOf = async (id: string | undefined) =>
    id === undefined
      ? undefined
      : pseudonymise(await (pseudonymKey ??= deps.secrets.getSecret(PSEUDONYM_SECRET)), id);

  let pending: NoteToScoreMessage[] = [];
  const flush = async () => {
    if (pending.length === 0) return;
    const batch = pending;
    pending = [];
    await deps.queues.send(NOTES_TO_SCORE, batch);
  };

  const sameFile = new SameFileRecords(group);
  const reject = async (
    row: number,
    reasons: FieldReason[],
    fields: Record<string, string | number | null>,
  ) => {
    counts.quarantined += 1;
    for (const r of reasons)
      reasonCounts[`${r.field}: ${r.reason}`] = (reasonCounts[`${r.field}: ${r.reason}`] ?? 0) + 1;
    await quarantine.write({ row, reasons, fields });
  };

  const decimalMark = new DecimalMark();
  const handle = async ({ row, fields, reasons = [] }: SourceRow) => {
    counts.rows += 1;
    if (!fields) return reject(row, reasons, {});
    const verdict = validateFields(fields, group, {
      decimalComma: format.kind === 'csv' && format.decimalComma,
      decimalMark,
      now: deps.now(),
    });
    const pseudonym = await pseudonymOf(verdict.patientId);
    if (!verdict.ok || reasons.length > 0) {
      return reject(
        row,
        [...reasons, ...(verdict.ok ? [] : verdict.reasons)],
        quarantineFields(fields, pseudonym),
      );
    }

    const message = {
      kind: 'note-to-score' as const,
      record: toRecord(verdict.row, pseudonym, identity.default_event_time, group),
      source: { bucket: ref.bucket, key: ref.key, row, ingest_id: identity.ingest_id },
    };
    // The contract is checked here, where a failure can still become a quarantine reason.
    const checked = NoteToScoreMessageSchema.safeParse(message);
    if (!checked.success) {
      const why = checked.error.issues.map((i) => ({
        field: String(i.path.at(-1) ?? '(row)'),
        reason: `invalid (${i.code})`,
      }));
      return reject(row, why, quarantineFields(fields, pseudonym));
    }
    // Without a long note a record is a few KiB; only then is measuring it worth the cost.
    const note = checked.data.record.pathology_note;
    if (
      note &&
      note.length > NOTE_CHARS_ALWAYS_FIT &&
      messageBytes(checked.data) > MAX_MESSAGE_BYTES
    ) {
      return reject(
        row,
        [{ field: 'pathology_note', reason: 'record too large for the queue (256 KiB)' }],
        quarantineFields(fields, pseudonym),
      );
    }
    const clash = sameFile.clash(checked.data.record, row);
    if (clash)
      return reject(
        row,
        [{ field: 'record_id', reason: clash }],
        quarantineFields(fields, pseudonym),
      );
    counts.accepted += 1;
    pending.push(checked.data);
    if (pending.length >= SEND_BATCH) await flush();
  };

  try {
    const sniffed = await peek(await deps.objects.getStream(bucket, ref.key));
    format = sniffFormat(sniffed.head);
    if (format.kind === 'refused') {
      sniffed.stream.destroy();
      fileError = format.reason;
    } else if (format.kind === 'csv') {
      let map: ColumnMap | undefined;
      for await (const record of readCsvRecords(sniffed.stream, format.delimiter)) {
        if (!map) {
          if ('error' in record) {
            fileError = `the header row cannot be read: ${record.error}`;
            break;
          }
          const header = mapHeader(record.cells, group, undefined, format.decimalComma);
          if (!header.ok) {
            fileError = header.reason;
            break;
          }
          map = header.map;
          for (const c of map.ignored) ignored.add(c);
          if (!map.headerless) continue;
        }
        const row = map.headerless ? record.n : record.n - 1;
        if ('error' in record) {
          await handle({ row, reasons: [{ field: '(row)', reason: record.error }] });
          if (record.fatal) {
            stoppedAtRow = row;
            fileError = `stopped at row ${row}: ${record.error}; the rest of the file was not read`;
            break;
          }
          continue;
        }
        await handle(csvRow(row, record.cells, map));
      }
    } else {
      const index = aliasIndex(group);
      for await (const record of readJsonLines(sniffed.stream)) {
        if ('error' in record) {
          await handle({ row: record.n, reasons: [{ field: '(row)', reason: record.error }] });
          continue;
        }
        await handle(jsonRow(record.n, record.object, index, ignored));
      }
    }
    await flush();
    await quarantine.close();
  } catch (e) {
    quarantine.abort(e instanceof Error ? e : new Error(String(e)));
    throw e;
  }

  const summary: IngestSummary = {
    ingest_id: identity.ingest_id,
    bucket: ref.bucket,
    key: ref.key,
    format: format.kind === 'refused' ? null : format.kind,
    ...(format.kind === 'csv' ? { delimiter: format.delimiter } : {}),
    ...counts,
    errors_key: quarantine.count > 0 ? keys.errors : null,
    ...(fileError !== undefined ? { file_error: fileError } : {}),
    ...(stoppedAtRow !== undefined ? { stopped_at_row: stoppedAtRow } : {}),
    reasons: reasonCounts,
    ignored_columns: [...ignored].slice(0, 100),
    default_event_time: identity.default_event_time,
    completed_at: deps.now().toISOString(),
  };
  if (summary.rows !== summary.accepted + summary.quarantined) {
    throw new Error(
      `ingest counts do not reconcile: ${summary.rows} rows, ${summary.accepted} + ${summary.quarantined}`,
    );
  }
  await deps.objects.put(bucket, keys.summary, `${JSON.stringify(summary, null, 2)}\n`, {
    contentType: 'application/json',
  });

  const quarantineKey =
    summary.quarantined > 0 ? keys.errors : fileError !== undefined ? keys.summary : undefined;
  await deps.events.publish([
    ourEvent('RecordsIngested', {
      ingest_id: identity.ingest_id,
      bucket: ref.bucket,
      key: ref.key,
      rows: summary.rows,
      accepted: summary.accepted,
      quarantined: summary.quarantined,
      ...(quarantineKey !== undefined ? { quarantine_key: quarantineKey } : {}),
      ...(fileError !== undefined ? { file_error: fileError } : {}),
    }),
  ]);
  deps.metrics.count('FilesRead', 1);
  deps.metrics.count('RowsRead', summary.rows);
  deps.metrics.count('RowsAccepted', summary.accepted);
  deps.metrics.count('RowsQuarantined', summary.quarantined);
  if (fileError !== undefined) deps.metrics.count('FilesRefused', 1);
  await deps.metrics.flush();
  log.info('file ingested', {
    ingest_id: identity.ingest_id,
    format: summary.format,
    rows: summary.rows,
    accepted: summary.accepted,
    quarantined: summary.quarantined,
    refused: fileError !== undefined,
  });
  return summary;
}

/**
 * The file's identity for idempotency: its content (ETag + size), not its name or upload
 * time. The first ingest records an ingest id and the default event time; every later drop
 * of the same content reuses both, so its records keep their (record_id, event_time) keys.
 */
async function fileIdentity(
  deps: IngestDeps,
  key: string,
  info: ObjectInfo,
): Promise<FileIdentity> {
  const content =
    info.etag !== undefined ? `etag:${info.etag}:${info.size}` : `key:${key}:${info.size}`;
  const id = createHash('sha256').update(content).digest('hex');
  const fresh: FileIdentity = {
    ingest_id: `ing_${id.slice(0, 24)}`,
    default_event_time: deps.now().toISOString(),
    first_key: key,
  };
  if (await deps.state.putIfAbsent(INGEST_FILES_NAMESPACE, id, fresh)) return fresh;
  return (await deps.state.get<FileIdentity>(INGEST_FILES_NAMESPACE, id)) ?? fresh;
}

/**
 * The record as the queue carries it, in a stable field order: ids, time, label, note,
 * provided score, then the measurements in feature-group order. Built field by field rather
 * than by spreading: it runs once per row, and spreads of 30-key objects are slow in V8.
 */
function toRecord(
  row: ValidRow,
  pseudonym: string | undefined,
  defaultEventTime: string,
  group: FeatureGroup,
): Record<string, unknown> {
  const record: Record<string, unknown> = {
    record_id: row.record_id ?? deriveRecordId(row, pseudonym),
  };
  if (pseudonym !== undefined) record.patient_id = pseudonym;
  record.event_time = row.event_time ?? defaultEventTime;
  if (row.diagnosis !== undefined) record.diagnosis = row.diagnosis;
  if (row.pathology_note !== undefined) record.pathology_note = row.pathology_note;
  if (row.malignancy_risk_score !== undefined)
    record.malignancy_risk_score = row.malignancy_risk_score;
  for (const f of group.features) record[f.name] = row.measurements[f.name];
  return record;
}

/** A CSV record under its column map; extra trailing empty cells (a trailing comma) are fine. */
function csvRow(row: number, cells: string[], map: ColumnMap): SourceRow {
  const expected = map.columns.length;
  const extra = cells.slice(expected);
  if (cells.length < expected || extra.some((c) => c.trim() !== '')) {
    return {
      row,
      reasons: [{ field: '(row)', reason: `expected ${expected} fields, found ${cells.length}` }],
    };
  }
  const fields = new Map<string, RawValue>();
  map.columns.forEach((name, i) => {
    if (name !== undefined) fields.set(name, cells[i]);
  });
  return { row, fields };
}

/** A JSON Lines object with its keys mapped through the aliases; unknown keys are noted. */
function jsonRow(
  row: number,
  object: Record<string, RawValue>,
  index: Map<string, string>,
  ignored: Set<string>,
): SourceRow {
  const fields = new Map<string, RawValue>();
  const seen = new Set<string>();
  const reasons: FieldReason[] = [];
  for (const [key, value] of Object.entries(object)) {
    const normalised = normaliseHeader(key);
    if (isAmbiguousTarget(normalised)) {
      reasons.push({ field: 'diagnosis', reason: AMBIGUOUS_TARGET_REASON });
      continue;
    }
    const name = index.get(normalised);
    if (name === undefined) {
      if (ignored.size < 100) ignored.add(columnLabel(key));
      continue;
    }
    if (seen.has(name)) {
      reasons.push({ field: name, reason: 'given twice (under two aliases)' });
      continue;
    }
    seen.add(name);
    fields.set(name, value);
  }
  return { row, fields, reasons };
}

/**
 * Everything one S3 notification asks for. The test event S3 sends when the notification is
 * configured is acknowledged; other event types are ignored. Each object is ingested even if
 * an earlier one failed; then the failure is rethrown, so Lambda retries the invocation
 * (which is safe: ingest is idempotent) and finally parks it on the function's failure queue.
 */
export async function ingestNotification(
  deps: IngestDeps,
  event: unknown,
): Promise<IngestSummary[]> {
  const log = deps.log ?? createLogger('ingest');
  if (isS3TestEvent(event)) {
    log.info('s3:TestEvent acknowledged');
    return [];
  }
  const summaries: IngestSummary[] = [];
  const failures: string[] = [];
  for (const ref of parseS3Records(event)) {
    if (!ref.eventName.startsWith('ObjectCreated:')) continue;
    try {
      const summary = await ingestObject(deps, ref);
      if (summary) summaries.push(summary);
    } catch (e) {
      log.error('file ingest failed', { bucket: ref.bucket, reason: describeError(e) });
      failures.push(describeError(e));
    }
  }
  if (failures.length > 0) {
    throw new Error(
      `${failures.length} object(s) failed to ingest: ${failures.join('; ')}`.slice(0, 2000),
    );
  }
  return summaries;
}
