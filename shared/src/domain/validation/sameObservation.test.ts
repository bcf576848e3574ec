import { WDBC_FEATURE_GROUP, WDBC_FEATURES } from '../../contracts/featureGroup.ts';
import type { FeatureRecord } from '../../contracts/record.ts';
import { conflictingFields } from './sameObservation.ts';

const record = (over: Partial<FeatureRecord> = {}): Partial<FeatureRecord> => ({
  record_id: 'r1',
  event_time: '2026-03-01T00:00:00.000Z',
  diagnosis: 'B',
  ...Object.fromEntries(WDBC_FEATURES.map((f, i) => [f, 1 + i / 10])),
  malignancy_risk_score: 3,
  ...over,
});

describe('Function: conflictingFields', () => {
  it('sees a replay (even re-scored) as no conflict', () => {
    expect(
      conflictingFields(record(), record({ malignancy_risk_score: 4 }), WDBC_FEATURE_GROUP),
    ).toEqual([]);
  });

  it('names every measurement, the diagnosis and the withdrawal flag that differ', () => {
    // The two rows of /tmp/attack/ingest/31-dup-id-same-time.csv: same id and time, other values.
    const incoming = record({ diagnosis: 'M', radius_mean: 25 });
    expect(conflictingFields(record(), incoming, WDBC_FEATURE_GROUP)).toEqual([
      'radius_mean',
      'diagnosis',
    ]);
    expect(conflictingFields(record(), record({ is_deleted: true }), WDBC_FEATURE_GROUP)).toEqual([
      'is_deleted',
    ]);
    expect(
      conflictingFields(record(), record({ diagnosis: undefined }), WDBC_FEATURE_GROUP),
    ).toEqual(['diagnosis']);
  });
});
