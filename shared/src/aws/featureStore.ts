import { conflictingFields } from '../domain/validation/sameObservation.ts';
import {
  DeleteRecordCommand,
  GetRecordCommand,
  PutRecordCommand,
  type FeatureValue,
  type SageMakerFeatureStoreRuntimeClient,
} from '@aws-sdk/client-sagemaker-featurestore-runtime';
import { WDBC_FEATURE_GROUP, type FeatureGroup } from '../contracts/featureGroup.ts';
import { FeatureRecordSchema, type FeatureRecord } from '../contracts/record.ts';
import type { FeatureStore, WriteResult } from '../ports/featureStore.ts';
import { resourceName, type NameContext } from '../topology/names.ts';
import { isAwsError } from './awsErrors.ts';

/** Logical name of the feature group; physical `<prefix>-<stage>-patient-records`. */
export const FEATURE_GROUP_LOGICAL = 'patient-records';

/**
 * Feature Store keeps its own `is_deleted`, `write_time` and `api_invocation_time` columns in
 * the offline table, so ours is not a feature: a withdrawn record is a soft DeleteRecord.
 */
const NOT_A_FEATURE = new Set(['is_deleted']);

export class FeatureStoreNotImplementedError extends Error {
  override readonly name = 'FeatureStoreNotImplementedError';
}

export interface SageMakerFeatureStoreOptions {
  group?: FeatureGroup;
  /**
   * Read the online record before writing and skip the write when it already holds this
   * record id at this event time. PutRecord is an upsert online, but every call appends a
   * row offline, so without the check a replayed message duplicates offline history.
   * Needs sagemaker:GetRecord. On by default.
   */
  skipDuplicates?: boolean;
  /**
   * Point-in-time reads of the offline store (the Athena adapter, athenaSnapshot.ts). Without
   * it, `snapshot` and `countLabelledWrittenSince` say they are not available.
   */
  offline?: Pick<FeatureStore, 'snapshot' | 'countLabelledWrittenSince'>;
}

/**
 * The feature store on SageMaker Feature Store (online + offline). Writes and online reads
 * are here; point-in-time snapshots read the offline store through Athena and are plugged in
 * as `offline` (the training service's part, issue 5).
 */
export function buildSageMakerFeatureStore(
  client: SageMakerFeatureStoreRuntimeClient,
  names: NameContext,
  options: SageMakerFeatureStoreOptions = {},
): FeatureStore {
  const FeatureGroupName = resourceName(names, FEATURE_GROUP_LOGICAL);
  const group = options.group ?? WDBC_FEATURE_GROUP;
  const skipDuplicates = options.skipDuplicates ?? true;
  const numeric = new Set([...group.features.map((f) => f.name), group.scoreFeature]);

  // What a replay check compares: the event time, and what the hospital sent at it.
  const compared = ['event_time', 'diagnosis', ...group.features.map((f) => f.name)];
  const onlineVersion = async (recordId: string) => {
    const out = await client.send(
      new GetRecordCommand({
        FeatureGroupName,
        RecordIdentifierValueAsString: recordId,
        FeatureNames: compared,
      }),
    );
    const values = out.Record ?? [];
    const eventTime = values.find((f) => f.FeatureName === 'event_time')?.ValueAsString;
    if (eventTime === undefined) return undefined;
    const stored: Record<string, unknown> = {};
    for (const v of values)
      if (v.FeatureName && v.ValueAsString !== undefined)
        stored[v.FeatureName] = numeric.has(v.FeatureName)
          ? Number(v.ValueAsString)
          : v.ValueAsString;
    return { eventTime, stored };
  };

  return {
    async put(records) {
      const result: WriteResult = { written: 0, duplicates: 0 };
      for (const record of records) {
        const eventTime = toFeatureStoreTime(record.event_time);
        if (skipDuplicates) {
          const existing = await onlineVersion(record.record_id);
          if (existing && Date.parse(existing.eventTime) === Date.parse(eventTime)) {
            const fields = conflictingFields(existing.stored, record, group);
            if (fields.length === 0) result.duplicates += 1;
            else (result.conflicts ??= []).push({ record_id: record.record_id, fields });
            continue;
          }
        }
        if (record.is_deleted) {
          await client.send(
            new DeleteRecordCommand({
              FeatureGroupName,
              RecordIdentifierValueAsString: record.record_id,
              EventTime: eventTime,
              DeletionMode: 'SoftDelete',
            }),
          );
        } else {
          await client.send(
            new PutRecordCommand({ FeatureGroupName, Record: toFeatureValues(record, eventTime) }),
          );
        }
        result.written += 1;
      }
      return result;
    },

    async latest(recordId) {
      try {
        const out = await client.send(
          new GetRecordCommand({ FeatureGroupName, RecordIdentifierValueAsString: recordId }),
        );
        if (!out.Record || out.Record.length === 0) return undefined;
        return fromFeatureValues(out.Record, numeric);
      } catch (e) {
        // A soft-deleted record reads as not found, which is what "latest" means for it.
        if (isAwsError(e, ['ResourceNotFound'])) return undefined;
        throw e;
      }
    },

    snapshot(query) {
      if (options.offline) return options.offline.snapshot(query);
      throw new FeatureStoreNotImplementedError(
        'not implemented on AWS yet: see issue 5 (point-in-time snapshots read the offline store through Athena)',
      );
    },

    async countLabelledWrittenSince(since) {
      if (options.offline) return options.offline.countLabelledWrittenSince(since);
      throw new FeatureStoreNotImplementedError(
        'not implemented on AWS yet: see issue 5 (needs an Athena query of the offline store)',
      );
    },
  };
}

/** Feature Store wants `yyyy-MM-ddTHH:mm:ss(.SSS)Z`; offsets are turned into UTC. */
export function toFeatureStoreTime(iso: string): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new Error('event_time is not an ISO-8601 time');
  return new Date(ms).toISOString();
}

/** One FeatureValue per present field, in a stable order; absent values are omitted. */
export function toFeatureValues(
  record: FeatureRecord,
  eventTime = toFeatureStoreTime(record.event_time),
): FeatureValue[] {
  const out: FeatureValue[] = [];
  for (const [name, value] of Object.entries(record)) {
    if (NOT_A_FEATURE.has(name) || value === undefined || value === null) continue;
    const text =
      name === 'event_time'
        ? eventTime
        : typeof value === 'number'
          ? numberText(value)
          : String(value);
    out.push({ FeatureName: name, ValueAsString: text });
  }
  return out;
}

/** Shortest round-tripping text; never exponent notation, which Fractional features reject. */
const numberText = (n: number) =>
  Number.isInteger(n) || Math.abs(n) >= 1e-6 ? String(n) : n.toFixed(20).replace(/0+$/, '');

export function fromFeatureValues(
  values: readonly FeatureValue[],
  numeric: ReadonlySet<string>,
): FeatureRecord {
  const raw: Record<string, unknown> = { is_deleted: false };
  for (const v of values) {
    if (!v.FeatureName || v.ValueAsString === undefined) continue;
    raw[v.FeatureName] = numeric.has(v.FeatureName) ? Number(v.ValueAsString) : v.ValueAsString;
  }
  return FeatureRecordSchema.parse(raw) as FeatureRecord;
}
