import Database from 'better-sqlite3';
import { WDBC_FEATURES } from '@cancer-mlops/shared/contracts/featureGroup.ts';
import type { FeatureRecord } from '@cancer-mlops/shared/contracts/record.ts';
import { SqliteFeatureStore } from './sqliteFeatureStore.ts';

const record = (
  id: string,
  eventTime: string,
  over: Partial<FeatureRecord> = {},
): FeatureRecord => ({
  record_id: id,
  event_time: eventTime,
  diagnosis: 'B',
  score_source: 'none',
  is_deleted: false,
  ...Object.fromEntries(WDBC_FEATURES.map((f) => [f, 1])),
  ...over,
});

const collect = async <T>(it: AsyncIterable<T>) => {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
};

describe('Class: SqliteFeatureStore', () => {
  let db: Database.Database;
  let clock: Date;
  let store: SqliteFeatureStore;

  beforeEach(() => {
    db = new Database(':memory:');
    clock = new Date('2024-06-01T00:00:00Z');
    store = new SqliteFeatureStore(db, { now: () => clock });
  });
  afterEach(() => db.close());

  describe('Method: put', () => {
    it('writes new versions and skips a replay of the same record id + event time', async () => {
      // Act
      const first = await store.put([
        record('a', '2024-01-01T00:00:00Z'),
        record('b', '2024-01-01T00:00:00Z'),
      ]);
      const replay = await store.put([
        record('a', '2024-01-01T00:00:00.000+00:00'),
        record('a', '2024-02-01T00:00:00Z'),
      ]);
      // Assess
      expect(first).toEqual({ written: 2, duplicates: 0 });
      expect(replay).toEqual({ written: 1, duplicates: 1 });
      expect((db.prepare('SELECT COUNT(*) AS n FROM fs_offline').get() as { n: number }).n).toBe(3);
    });

    it('writes nothing and reports a conflict when the same event time comes with other values', async () => {
      // Prepare
      await store.put([record('a', '2024-01-01T00:00:00Z', { malignancy_risk_score: 3 })]);
      // Act: re-scored replay, then the other row of /tmp/attack/ingest/31-dup-id-same-time.csv.
      const rescored = await store.put([
        record('a', '2024-01-01T00:00:00Z', { malignancy_risk_score: 4 }),
      ]);
      const other = await store.put([
        record('a', '2024-01-01T00:00:00Z', { diagnosis: 'M', radius_mean: 25 }),
      ]);
      // Assess
      expect(rescored).toEqual({ written: 0, duplicates: 1 });
      expect(other).toEqual({
        written: 0,
        duplicates: 0,
        conflicts: [{ record_id: 'a', fields: ['radius_mean', 'diagnosis'] }],
      });
      expect((await store.latest('a'))?.diagnosis).toBe('B');
    });

    it('rejects an invalid record and writes nothing of the call', async () => {
      const bad = { ...record('c', '2024-01-01T00:00:00Z'), radius_mean: -1 };
      await expect(store.put([record('ok', '2024-01-01T00:00:00Z'), bad])).rejects.toThrow();
      await expect(store.latest('ok')).resolves.toBeUndefined();
    });

    it('shares the runtime database without touching other tables', () => {
      const tables = (
        db.prepare("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')").all() as {
          name: string;
        }[]
      ).map((t) => t.name);
      expect(tables.every((t) => t.startsWith('fs_'))).toBe(true);
      // A second store on the same database (a restart) reuses the tables.
      expect(() => new SqliteFeatureStore(db)).not.toThrow();
    });
  });

  describe('Method: latest', () => {
    it('is the latest version by event time, not by write order', async () => {
      await store.put([record('a', '2024-02-01T00:00:00Z', { diagnosis: 'M' })]);
      await store.put([record('a', '2024-01-01T00:00:00Z', { diagnosis: 'B' })]);
      await expect(store.latest('a')).resolves.toMatchObject({
        diagnosis: 'M',
        event_time: '2024-02-01T00:00:00Z',
      });
    });

    it('hides a record whose latest version is a delete marker', async () => {
      await store.put([record('a', '2024-01-01T00:00:00Z')]);
      await store.put([record('a', '2024-03-01T00:00:00Z', { is_deleted: true })]);
      await expect(store.latest('a')).resolves.toBeUndefined();
      await expect(store.latest('nobody')).resolves.toBeUndefined();
    });
  });

  describe('Method: snapshot', () => {
    beforeEach(async () => {
      clock = new Date('2024-01-10T00:00:00Z');
      await store.put([
        record('a', '2024-01-01T00:00:00Z', { radius_mean: 1 }),
        record('b', '2024-01-01T00:00:00Z', { diagnosis: undefined }),
        record('d', '2024-01-01T00:00:00Z'),
      ]);
      clock = new Date('2024-02-10T00:00:00Z');
      await store.put([
        record('a', '2024-02-01T00:00:00Z', { radius_mean: 2 }),
        record('d', '2024-02-01T00:00:00Z', { is_deleted: true }),
      ]);
      // A late-arriving fact: event time January, but only written in March.
      clock = new Date('2024-03-10T00:00:00Z');
      await store.put([record('late', '2024-01-05T00:00:00Z')]);
    });

    it('reads the latest version per record as of the cutoff', async () => {
      const rows = await collect(store.snapshot({ cutoff: new Date('2024-01-31T00:00:00Z') }));
      expect(rows.map((r) => [r.record_id, r.radius_mean])).toEqual([
        ['a', 1],
        ['b', 1],
        ['d', 1],
      ]);
    });

    it('excludes records deleted as of the cutoff', async () => {
      const rows = await collect(store.snapshot({ cutoff: new Date('2024-02-28T00:00:00Z') }));
      expect(rows.map((r) => [r.record_id, r.radius_mean])).toEqual([
        ['a', 2],
        ['b', 1],
      ]);
    });

    it('by event time only (bitemporal false) includes facts written after the cutoff', async () => {
      const cutoff = new Date('2024-01-31T00:00:00Z');
      const bi = await collect(store.snapshot({ cutoff }));
      const uni = await collect(store.snapshot({ cutoff, bitemporal: false }));
      expect(bi.map((r) => r.record_id)).not.toContain('late');
      expect(uni.map((r) => r.record_id)).toContain('late');
    });

    it('can keep labelled records only', async () => {
      const rows = await collect(
        store.snapshot({ cutoff: new Date('2024-12-31T00:00:00Z'), labelledOnly: true }),
      );
      expect(rows.map((r) => r.record_id)).toEqual(['a', 'late']);
    });

    it('pages through large stores while the connection stays usable', async () => {
      clock = new Date('2024-04-01T00:00:00Z');
      await store.put(
        Array.from({ length: 1203 }, (_, i) =>
          record(`bulk-${String(i).padStart(5, '0')}`, '2024-03-01T00:00:00Z'),
        ),
      );
      let n = 0;
      for await (const r of store.snapshot({ cutoff: new Date('2024-12-31T00:00:00Z') })) {
        // Another statement on the shared connection in the middle of the read.
        if (n === 600) await store.latest(r.record_id);
        n += 1;
      }
      expect(n).toBe(1203 + 3);
    });
  });

  describe('Method: countLabelledWrittenSince', () => {
    it('counts distinct labelled, not deleted records written after a time', async () => {
      clock = new Date('2024-01-10T00:00:00Z');
      await store.put([
        record('a', '2024-01-01T00:00:00Z'),
        record('b', '2024-01-01T00:00:00Z', { diagnosis: undefined }),
      ]);
      clock = new Date('2024-02-10T00:00:00Z');
      await store.put([
        record('a', '2024-02-01T00:00:00Z'),
        record('c', '2024-02-01T00:00:00Z'),
        record('c', '2024-02-02T00:00:00Z'),
        record('d', '2024-02-01T00:00:00Z', { is_deleted: true }),
      ]);
      // a (twice: two versions) and c (twice) are two records; b has no label, d is a delete marker.
      await expect(store.countLabelledWrittenSince(new Date('2024-01-01T00:00:00Z'))).resolves.toBe(
        2,
      );
      await store.put([record('e', '2024-02-01T00:00:00Z')]);
      await expect(store.countLabelledWrittenSince(new Date('2024-02-01T00:00:00Z'))).resolves.toBe(
        3,
      );
      await expect(store.countLabelledWrittenSince(new Date('2024-02-10T00:00:00Z'))).resolves.toBe(
        0,
      );
    });
  });
});
