import { WDBC_FEATURE_GROUP, WDBC_FEATURES } from '@cancer-mlops/shared/contracts/featureGroup.ts';
import type { PatientRecord } from '@cancer-mlops/shared/contracts/record.ts';
import { SameFileRecords } from './sameFileRecords.ts';

const record = (id: string, time: string, radius = 10, diagnosis?: 'M' | 'B'): PatientRecord =>
  ({
    record_id: id,
    event_time: time,
    ...Object.fromEntries(WDBC_FEATURES.map((f) => [f, 1])),
    radius_mean: radius,
    ...(diagnosis ? { diagnosis } : {}),
  }) as PatientRecord;

describe('Class: SameFileRecords', () => {
  const T1 = '2026-01-01T00:00:00.000Z';
  const T2 = '2026-02-01T00:00:00.000Z';

  it('flags the same id and event time with other values, not replays or later versions', () => {
    // Prepare
    const seen = new SameFileRecords(WDBC_FEATURE_GROUP);

    // Act + Assess
    expect(seen.clash(record('a', T1), 1)).toBeUndefined();
    expect(seen.clash(record('a', T1), 2)).toBeUndefined(); // a replay
    expect(seen.clash(record('a', T2, 11), 3)).toBeUndefined(); // a later version
    expect(seen.clash(record('a', T1, 11), 4)).toMatch(/as row 1 with other measurements/);
    expect(seen.clash(record('a', T1, 10, 'M'), 5)).toMatch(/as row 1/); // a diagnosis added
  });

  it('stops remembering at its limit', () => {
    // Prepare
    const seen = new SameFileRecords(WDBC_FEATURE_GROUP, 1);
    seen.clash(record('a', T1), 1);
    seen.clash(record('b', T1), 2);

    // Act + Assess
    expect(seen.clash(record('a', T1, 12), 3)).toMatch(/as row 1/);
    expect(seen.clash(record('b', T1, 12), 4)).toBeUndefined();
  });
});
