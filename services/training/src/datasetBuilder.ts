import { createHash } from 'node:crypto';
import {
  modelFeatureNames,
  type FeatureGroup,
} from '@cancer-mlops/shared/contracts/featureGroup.ts';
import type { FeatureRecord } from '@cancer-mlops/shared/contracts/record.ts';
import { Rng } from '@cancer-mlops/shared/domain/forest/prng.ts';
import type { FeatureStore } from '@cancer-mlops/shared/ports/featureStore.ts';
import type { ObjectStore } from '@cancer-mlops/shared/ports/objectStore.ts';
import { csvLine } from './datasetCsv.ts';

export const ARTIFACTS = 'artifacts';
export const DATASETS_PREFIX = 'datasets/';

export interface DatasetFile {
  /** Key in the artifacts bucket. */
  key: string;
  rows: number;
  bytes: number;
  sha256: string;
}

export interface ClassCounts {
  M: number;
  B: number;
}

/**
 * Everything needed to rebuild a dataset exactly and to check that it was: the snapshot
 * query, the split, and a digest of every file.
 */
export interface DatasetManifest {
  dataset_id: string;
  status: 'ready' | 'refused';
  /** Why the dataset cannot be trained on (status refused). */
  refusal?: string;
  created_at: string;
  snapshot: {
    cutoff: string;
    /** true: only what had been written to the store by the cutoff (rebuildable later). */
    bitemporal: boolean;
    labelled_only: true;
    deleted_excluded: true;
  };
  feature_group: { name: string; version: number };
  label: { name: 'diagnosis'; positive: 'M'; negative: 'B' };
  features: string[];
  split: { method: 'stratified'; seed: number; validation_fraction: number };
  rows: { total: number; train: number; validation: number; skipped: number };
  /** Rows left out of the snapshot and why (counts only: no record ids, no values). */
  skipped: Record<string, number>;
  class_counts: { total: ClassCounts; train: ClassCounts; validation: ClassCounts };
  files: { train?: DatasetFile; validation?: DatasetFile };
}

export interface BuiltDataset {
  datasetId: string;
  manifest: DatasetManifest;
  manifestKey: string;
  trainPrefix: string;
  validationPrefix: string;
  /** Set when the dataset is refused; nothing is trained on it. */
  refusal?: string;
}

export interface DatasetBuilderDeps {
  features: FeatureStore;
  objects: ObjectStore;
  group: FeatureGroup;
  now: () => Date;
}

export interface BuildOptions {
  cutoff: Date;
  bitemporal?: boolean;
  datasetId?: string;
  seed?: number;
  validationFraction?: number;
  minRows?: number;
}

/** `ds-20260105T030000Z`: the cutoff names the snapshot, so the same cutoff rebuilds the same id. */
export function datasetIdFor(cutoff: Date): string {
  return `ds-${cutoff
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '')}`;
}

const datasetPrefix = (id: string) => `${DATASETS_PREFIX}${id}/`;

interface Row {
  recordId: string;
  label: 'M' | 'B';
  cells: string[];
}

/**
 * Builds a point-in-time dataset: the feature store's snapshot at the cutoff (latest version
 * per record with event time <= cutoff and, bitemporally, written <= cutoff; labelled only;
 * deleted records excluded), split stratified by label with a seeded shuffle, written as
 * `datasets/<id>/train/train.csv`, `datasets/<id>/validation/validation.csv` and
 * `datasets/<id>/manifest.json`. A dataset too small to train and validate on is refused:
 * its manifest says why and no CSV is written.
 */
export async function buildDataset(
  deps: DatasetBuilderDeps,
  options: BuildOptions,
): Promise<BuiltDataset> {
  const bitemporal = options.bitemporal ?? true;
  const seed = options.seed ?? 42;
  const fraction = options.validationFraction ?? 0.2;
  const minRows = options.minRows ?? 20;
  const datasetId = options.datasetId ?? datasetIdFor(options.cutoff);
  const features = modelFeatureNames(deps.group);
  const measurements = new Set(deps.group.features.map((f) => f.name));

  const skipped: Record<string, number> = {};
  const skip = (reason: string) => {
    skipped[reason] = (skipped[reason] ?? 0) + 1;
  };
  const byId = new Map<string, Row>();
  for await (const record of deps.features.snapshot({
    cutoff: options.cutoff,
    bitemporal,
    labelledOnly: true,
  })) {
    const row = toRow(record, features, measurements, skip);
    if (!row) continue;
    // A store that returned two versions of a record would be a bug there; keep one, say so.
    if (byId.has(row.recordId)) skip('duplicate record_id in snapshot');
    byId.set(row.recordId, row);
  }
  const rows = [...byId.values()].sort((a, b) =>
    a.recordId < b.recordId ? -1 : a.recordId > b.recordId ? 1 : 0,
  );
  const { train, validation } = stratifiedSplit(rows, fraction, seed);

  const count = (rs: Row[]): ClassCounts => ({
    M: rs.filter((r) => r.label === 'M').length,
    B: rs.filter((r) => r.label === 'B').length,
  });
  const total = count(rows);
  const refusal = refusalReason(total, rows.length, minRows);

  const prefix = datasetPrefix(datasetId);
  const manifest: DatasetManifest = {
    dataset_id: datasetId,
    status: refusal ? 'refused' : 'ready',
    ...(refusal ? { refusal } : {}),
    created_at: deps.now().toISOString(),
    snapshot: {
      cutoff: options.cutoff.toISOString(),
      bitemporal,
      labelled_only: true,
      deleted_excluded: true,
    },
    feature_group: { name: deps.group.name, version: deps.group.version },
    label: { name: 'diagnosis', positive: 'M', negative: 'B' },
    features,
    split: { method: 'stratified', seed, validation_fraction: fraction },
    rows: {
      total: rows.length,
      train: refusal ? 0 : train.length,
      validation: refusal ? 0 : validation.length,
      skipped: Object.values(skipped).reduce((a, b) => a + b, 0),
    },
    skipped,
    class_counts: {
      total,
      train: refusal ? { M: 0, B: 0 } : count(train),
      validation: refusal ? { M: 0, B: 0 } : count(validation),
    },
    files: {},
  };

  if (!refusal) {
    const header = csvLine(['record_id', 'diagnosis', ...features]);
    manifest.files.train = await writeCsv(deps.objects, `${prefix}train/train.csv`, header, train);
    manifest.files.validation = await writeCsv(
      deps.objects,
      `${prefix}validation/validation.csv`,
      header,
      validation,
    );
  }
  const manifestKey = `${prefix}manifest.json`;
  await deps.objects.put(ARTIFACTS, manifestKey, `${JSON.stringify(manifest, null, 2)}\n`, {
    contentType: 'application/json',
  });
  return {
    datasetId,
    manifest,
    manifestKey,
    trainPrefix: `${prefix}train/`,
    validationPrefix: `${prefix}validation/`,
    ...(refusal ? { refusal } : {}),
  };
}

function refusalReason(total: ClassCounts, n: number, minRows: number): string | undefined {
  if (n === 0) return 'dataset refused: the snapshot holds no labelled records';
  if (n < minRows)
    return `dataset refused: ${n} labelled record(s); at least ${minRows} are needed`;
  if (total.M === 0 || total.B === 0) {
    const only = total.M === 0 ? 'benign (B)' : 'malignant (M)';
    return `dataset refused: every labelled record is ${only}; both classes are needed`;
  }
  // One row of a class cannot be in both the training and the validation set.
  for (const [label, name] of [
    ['M', 'malignant'],
    ['B', 'benign'],
  ] as const) {
    if (total[label] < 2)
      return `dataset refused: only ${total[label]} ${name} record; each class needs at least 2`;
  }
  return undefined;
}

function toRow(
  record: FeatureRecord,
  features: string[],
  measurements: Set<string>,
  skip: (r: string) => void,
): Row | undefined {
  if (record.is_deleted) {
    skip('deleted');
    return undefined;
  }
  const label = record.diagnosis;
  if (label !== 'M' && label !== 'B') {
    skip('unlabelled');
    return undefined;
  }
  const cells: string[] = [];
  for (const name of features) {
    const v = record[name];
    if (v === undefined || v === null) {
      // The note score is optional (no note, no score); a missing measurement is a corrupt row.
      if (measurements.has(name)) {
        skip(`missing ${name}`);
        return undefined;
      }
      cells.push('');
      continue;
    }
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      skip(`non-numeric ${name}`);
      return undefined;
    }
    cells.push(String(v));
  }
  return { recordId: record.record_id, label, cells };
}

/**
 * Per class: shuffle with a seeded generator and put round(n * fraction) rows into
 * validation, at least one and never all of them, so both sets hold both classes. The input
 * is sorted by record id first, so the split depends only on the data and the seed.
 */
export function stratifiedSplit<T extends { label: string }>(
  rows: readonly T[],
  fraction: number,
  seed: number,
): { train: T[]; validation: T[] } {
  const rng = new Rng(seed);
  const train: T[] = [];
  const validation: T[] = [];
  const labels = [...new Set(rows.map((r) => r.label))].sort();
  for (const label of labels) {
    const members = rows.filter((r) => r.label === label);
    for (let i = members.length - 1; i > 0; i--) {
      const j = rng.nextInt(i + 1);
      [members[i], members[j]] = [members[j], members[i]];
    }
    const nVal =
      members.length < 2
        ? 0
        : Math.min(members.length - 1, Math.max(1, Math.round(members.length * fraction)));
    const picked = new Set(members.slice(0, nVal));
    for (const r of rows) {
      if (r.label !== label) continue;
      (picked.has(r) ? validation : train).push(r);
    }
  }
  return { train, validation };
}

async function writeCsv(
  objects: ObjectStore,
  key: string,
  header: string,
  rows: Row[],
): Promise<DatasetFile> {
  const text = header + rows.map((r) => csvLine([r.recordId, r.label, ...r.cells])).join('');
  const body = Buffer.from(text, 'utf8');
  await objects.put(ARTIFACTS, key, body, { contentType: 'text/csv' });
  return {
    key,
    rows: rows.length,
    bytes: body.length,
    sha256: createHash('sha256').update(body).digest('hex'),
  };
}

/** Reads a dataset's manifest; undefined when there is none. */
export async function readManifest(
  objects: ObjectStore,
  datasetId: string,
): Promise<DatasetManifest | undefined> {
  const raw = await objects.get(ARTIFACTS, `${datasetPrefix(datasetId)}manifest.json`);
  return raw ? (JSON.parse(raw.toString('utf8')) as DatasetManifest) : undefined;
}

/** Key of a dataset's validation CSV. */
export const validationKey = (datasetId: string) =>
  `${datasetPrefix(datasetId)}validation/validation.csv`;
export const trainKey = (datasetId: string) => `${datasetPrefix(datasetId)}train/train.csv`;
