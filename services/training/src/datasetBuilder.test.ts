import { createHash } from 'node:crypto';
import {
  WDBC_FEATURE_GROUP,
  modelFeatureNames,
} from '@cancer-mlops/shared/contracts/featureGroup.ts';
import { MemoryFeatureStore, MemoryObjectStore, clock, wdbcLikeRecord } from '../test/fakes.ts';
import {
  buildDataset,
  datasetIdFor,
  stratifiedSplit,
  type DatasetManifest,
} from './datasetBuilder.ts';
import { readDatasetCsv } from './datasetCsv.ts';

const T0 = new Date('2026-01-01T00:00:00Z');
const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);

function store(
  records: {
    id: string;
    dx: 'M' | 'B' | undefined;
    eventMin: number;
    writtenMin: number;
    extra?: object;
  }[],
) {
  const fs = new MemoryFeatureStore();
  for (const r of records)
    fs.add(wdbcLikeRecord(r.id, r.dx, at(r.eventMin).toISOString(), r.extra), at(r.writtenMin));
  return fs;
}

const many = (n: number, dx: 'M' | 'B', prefix: string) =>
  Array.from({ length: n }, (_, i) => ({
    id: `${prefix}${i + 1}`,
    dx,
    eventMin: 1,
    writtenMin: 1,
  }));

describe('Function: buildDataset', () => {
  it('writes train and validation CSVs with the header the container expects, and a manifest with digests', async () => {
    // Prepare
    const features = store([...many(30, 'B', 'b'), ...many(20, 'M', 'm')]);
    const objects = new MemoryObjectStore();
    const now = clock('2026-01-02T00:00:00Z');

    // Act
    const built = await buildDataset(
      { features, objects, group: WDBC_FEATURE_GROUP, now },
      { cutoff: at(60) },
    );

    // Assess
    expect(built.refusal).toBeUndefined();
    expect(built.datasetId).toBe('ds-20260101T010000Z');
    const train = objects.text('artifacts', `datasets/${built.datasetId}/train/train.csv`)!;
    const validation = objects.text(
      'artifacts',
      `datasets/${built.datasetId}/validation/validation.csv`,
    )!;
    expect(train.split('\n')[0]).toBe(['record_id', 'diagnosis', ...modelFeatureNames()].join(','));
    const manifest = objects.json<DatasetManifest>(
      'artifacts',
      `datasets/${built.datasetId}/manifest.json`,
    );
    expect(manifest).toMatchObject({
      status: 'ready',
      snapshot: {
        cutoff: '2026-01-01T01:00:00.000Z',
        bitemporal: true,
        labelled_only: true,
        deleted_excluded: true,
      },
      feature_group: { name: 'wdbc-patient-records', version: 1 },
      split: { method: 'stratified', seed: 42, validation_fraction: 0.2 },
      rows: { total: 50, train: 40, validation: 10 },
      class_counts: {
        total: { M: 20, B: 30 },
        train: { M: 16, B: 24 },
        validation: { M: 4, B: 6 },
      },
    });
    expect(manifest.files.train!.sha256).toBe(createHash('sha256').update(train).digest('hex'));
    expect(manifest.files.validation!.sha256).toBe(
      createHash('sha256').update(validation).digest('hex'),
    );
    expect(readDatasetCsv(train).labels.length).toBe(40);
  });

  it('is bitemporal by default: a version written after the cutoff is invisible, even with an earlier event time', async () => {
    // Prepare: r1 has a late correction (event time before the cutoff, written after it).
    const features = store([
      ...many(12, 'B', 'b'),
      ...many(10, 'M', 'm'),
      { id: 'r1', dx: 'B', eventMin: 1, writtenMin: 1 },
      { id: 'r1', dx: 'M', eventMin: 5, writtenMin: 120 },
    ]);
    const objects = new MemoryObjectStore();
    const deps = { features, objects, group: WDBC_FEATURE_GROUP, now: clock() };

    // Act
    const bitemporal = await buildDataset(deps, { cutoff: at(60), datasetId: 'bi' });
    const eventTimeOnly = await buildDataset(deps, {
      cutoff: at(60),
      datasetId: 'uni',
      bitemporal: false,
    });

    // Assess
    expect(bitemporal.manifest.class_counts.total).toEqual({ M: 10, B: 13 });
    expect(eventTimeOnly.manifest.class_counts.total).toEqual({ M: 11, B: 12 });
  });

  it('rebuilds the same snapshot byte for byte later, whatever was written since', async () => {
    // Prepare
    const features = store([...many(15, 'B', 'b'), ...many(10, 'M', 'm')]);
    const objects = new MemoryObjectStore();
    const deps = { features, objects, group: WDBC_FEATURE_GROUP, now: clock() };
    const first = await buildDataset(deps, { cutoff: at(60), datasetId: 'first' });
    features.add(wdbcLikeRecord('late', 'M', at(10).toISOString()), at(200));
    features.add(wdbcLikeRecord('b1', 'M', at(30).toISOString()), at(300));

    // Act
    const again = await buildDataset(deps, { cutoff: at(60), datasetId: 'again' });

    // Assess
    expect(again.manifest.files.train!.sha256).toBe(first.manifest.files.train!.sha256);
    expect(again.manifest.files.validation!.sha256).toBe(first.manifest.files.validation!.sha256);
  });

  it('leaves out deleted, unlabelled and corrupt records, counting each reason', async () => {
    // Prepare
    const features = store([
      ...many(12, 'B', 'b'),
      ...many(10, 'M', 'm'),
      { id: 'gone', dx: 'M', eventMin: 1, writtenMin: 1 },
      { id: 'gone', dx: 'M', eventMin: 2, writtenMin: 2, extra: { is_deleted: true } },
      { id: 'nolabel', dx: undefined, eventMin: 1, writtenMin: 1 },
      { id: 'bad', dx: 'B', eventMin: 1, writtenMin: 1, extra: { radius_mean: Number.NaN } },
    ]);
    const objects = new MemoryObjectStore();

    // Act
    const built = await buildDataset(
      { features, objects, group: WDBC_FEATURE_GROUP, now: clock() },
      { cutoff: at(60) },
    );

    // Assess
    expect(built.manifest.rows.total).toBe(22);
    expect(built.manifest.skipped).toEqual({ 'non-numeric radius_mean': 1 });
    const all = [
      ...readDatasetCsv(objects.text('artifacts', `datasets/${built.datasetId}/train/train.csv`)!)
        .recordIds,
    ];
    expect(all).not.toContain('gone');
    expect(all).not.toContain('nolabel');
  });

  it.each([
    ['an empty store', [], /no labelled records/],
    [
      'too few rows',
      [...many(5, 'B', 'b'), ...many(5, 'M', 'm')],
      /10 labelled record\(s\); at least 20/,
    ],
    ['one class only', many(25, 'B', 'b'), /every labelled record is benign/],
    [
      'a single malignant row',
      [...many(25, 'B', 'b'), ...many(1, 'M', 'm')],
      /only 1 malignant record/,
    ],
  ])('refuses %s, writing only a manifest that says why', async (_name, records, reason) => {
    // Prepare
    const objects = new MemoryObjectStore();

    // Act
    const built = await buildDataset(
      { features: store(records), objects, group: WDBC_FEATURE_GROUP, now: clock() },
      { cutoff: at(60) },
    );

    // Assess
    expect(built.refusal).toMatch(reason);
    expect(objects.keys('artifacts')).toEqual([`datasets/${built.datasetId}/manifest.json`]);
    expect(objects.json<DatasetManifest>('artifacts', built.manifestKey)).toMatchObject({
      status: 'refused',
      refusal: built.refusal,
    });
  });

  it('writes an empty cell for a record without a note score', async () => {
    // Prepare
    const features = store([
      ...many(12, 'B', 'b'),
      ...many(10, 'M', 'm'),
      {
        id: 'x1',
        dx: 'B',
        eventMin: 1,
        writtenMin: 1,
        extra: { malignancy_risk_score: undefined },
      },
    ]);
    const objects = new MemoryObjectStore();

    // Act
    const built = await buildDataset(
      { features, objects, group: WDBC_FEATURE_GROUP, now: clock() },
      { cutoff: at(60) },
    );

    // Assess
    const text = [built.manifest.files.train!.key, built.manifest.files.validation!.key]
      .map((k) => objects.text('artifacts', k)!)
      .join('');
    expect(text).toMatch(/\nx1,B,[^\n]*,\n/);
  });
});

describe('Function: stratifiedSplit', () => {
  it('keeps the class ratio and the same split for the same seed', () => {
    // Prepare
    const rows = [
      ...Array.from({ length: 100 }, (_, i) => ({ id: i, label: 'B' })),
      ...Array.from({ length: 50 }, (_, i) => ({ id: 100 + i, label: 'M' })),
    ];

    // Act
    const a = stratifiedSplit(rows, 0.2, 7);
    const b = stratifiedSplit(rows, 0.2, 7);
    const c = stratifiedSplit(rows, 0.2, 8);

    // Assess
    expect(a.validation.filter((r) => r.label === 'M')).toHaveLength(10);
    expect(a.validation.filter((r) => r.label === 'B')).toHaveLength(20);
    expect(a.validation.map((r) => r.id)).toEqual(b.validation.map((r) => r.id));
    expect(a.validation.map((r) => r.id)).not.toEqual(c.validation.map((r) => r.id));
  });
});

describe('Function: datasetIdFor', () => {
  it('names a dataset after its cutoff', () => {
    expect(datasetIdFor(new Date('2026-03-04T05:06:07.890Z'))).toBe('ds-20260304T050607Z');
  });
});
