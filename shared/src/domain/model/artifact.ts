/**
 * The model file: one versioned, checksummed binary holding the forest and everything needed to
 * use and audit it (features and their order, hyperparameters, dataset snapshot id, metrics,
 * threshold, calibration).
 *
 * Layout (little-endian), format version 1:
 *
 *   offset  size  field
 *   0       8     magic "CMLRF\0\0\1"
 *   8       4     format version (u32)
 *   12      4     metadata JSON length in bytes (u32), padded with spaces to a multiple of 8
 *   16      4     node count (u32)
 *   20      4     tree count (u32)
 *   24      4     feature count (u32)
 *   28      4     reserved, 0
 *   32      J     metadata JSON (UTF-8)
 *   then    roots i32[trees], feature i32[nodes], right i32[nodes] (each padded to 8 bytes),
 *           threshold f64[nodes], value f64[nodes], imputation f64[features]
 *   last    32    SHA-256 of every byte before it
 *
 * Arrays are stored exactly as prediction walks them, so loading is a checksum, a JSON parse of a
 * few kilobytes and a few typed-array copies.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Forest } from '../forest/types.ts';
import type { ForestHyperparameters } from '../forest/hyperparameters.ts';
import type { Calibration } from '../metrics/calibration.ts';

export const MODEL_FORMAT_VERSION = 1;
const MAGIC = new Uint8Array([0x43, 0x4d, 0x4c, 0x52, 0x46, 0, 0, 1]); // "CMLRF\0\0\1"
const HEADER = 32;
const CHECKSUM = 32;

export type ModelLoadErrorCode = 'corrupted' | 'unsupported_version' | 'feature_mismatch';

/** Why a model file was refused; `code` lets callers map it to a status without parsing text. */
export class ModelLoadError extends Error {
  constructor(
    readonly code: ModelLoadErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ModelLoadError';
  }
}

/** Everything in the file besides the trees; JSON, so it can be shown and diffed as is. */
export interface ModelMetadata {
  formatVersion: number;
  /** ISO-8601; the only field that is not a function of data, seed and hyperparameters. */
  createdAt: string;
  /** Model input columns, in the order rows must be given. */
  features: string[];
  hyperparameters: ForestHyperparameters;
  seed: number;
  /** Identifier of the training data snapshot (lineage). */
  datasetId: string;
  nTrainRows: number;
  /** Predict malignant when calibrated probability >= threshold. */
  threshold: number;
  targetSensitivity: number;
  /** Maps the raw forest probability to the probability returned to users. */
  calibration: Calibration;
  /** Summary metrics (JSON), e.g. OOB and validation; the full report is evaluation.json. */
  metrics: Record<string, unknown>;
  /** Mean decrease in impurity per feature (same order as `features`). */
  impurityImportance: number[];
}

export interface ModelArtifact {
  metadata: ModelMetadata;
  forest: Forest;
}

const CalibrationSchema = z.union([
  z.object({ method: z.literal('identity') }).strict(),
  z.object({ method: z.literal('platt'), a: z.number(), b: z.number() }).strict(),
]);

const MetadataSchema = z
  .object({
    formatVersion: z.number().int(),
    createdAt: z.string(),
    features: z.array(z.string()).min(1),
    hyperparameters: z
      .object({
        nEstimators: z.number().int().positive(),
        maxFeatures: z.union([z.enum(['sqrt', 'log2', 'all']), z.number().positive()]),
        maxDepth: z.number().int().positive().nullable(),
        minSamplesLeaf: z.number().int().positive(),
        minSamplesSplit: z.number().int().min(2),
        bootstrap: z.boolean(),
        maxSamples: z.number().positive().max(1).nullable(),
        classWeight: z.union([
          z.null(),
          z.literal('balanced'),
          z.object({ benign: z.number().positive(), malignant: z.number().positive() }).strict(),
        ]),
      })
      .strict(),
    seed: z.number().int().nonnegative(),
    datasetId: z.string(),
    nTrainRows: z.number().int().nonnegative(),
    threshold: z.number().min(0).max(1),
    targetSensitivity: z.number().gt(0).max(1),
    calibration: CalibrationSchema,
    metrics: z.record(z.string(), z.unknown()),
    impurityImportance: z.array(z.number()),
  })
  .strict();

const pad8 = (x: number): number => (x + 7) & ~7;

function assertLittleEndian(): void {
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
    throw new Error('model files are little-endian; big-endian hosts are not supported');
  }
}

export function sha256(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(bytes).digest());
}

/** Serialises a model; the same artifact always gives the same bytes. */
export function serializeModel(artifact: ModelArtifact): Uint8Array {
  assertLittleEndian();
  const { forest, metadata } = artifact;
  if (metadata.features.length !== forest.nFeatures) {
    throw new RangeError(
      `metadata names ${metadata.features.length} features; the forest has ${forest.nFeatures}`,
    );
  }
  const json = new TextEncoder().encode(
    JSON.stringify({ ...metadata, formatVersion: MODEL_FORMAT_VERSION }),
  );
  const jsonLen = pad8(json.length);
  const nodes = forest.feature.length;
  const trees = forest.nTrees;
  const d = forest.nFeatures;
  const size =
    HEADER + jsonLen + pad8(4 * trees) + 2 * pad8(4 * nodes) + 16 * nodes + 8 * d + CHECKSUM;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  out.set(MAGIC, 0);
  view.setUint32(8, MODEL_FORMAT_VERSION, true);
  view.setUint32(12, jsonLen, true);
  view.setUint32(16, nodes, true);
  view.setUint32(20, trees, true);
  view.setUint32(24, d, true);
  out.set(json, HEADER);
  out.fill(0x20, HEADER + json.length, HEADER + jsonLen);
  let off = HEADER + jsonLen;
  const put = (arr: Int32Array | Float64Array): void => {
    out.set(new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength), off);
    off += pad8(arr.byteLength);
  };
  put(forest.roots);
  put(forest.feature);
  put(forest.right);
  put(forest.threshold);
  put(forest.value);
  put(forest.imputation);
  out.set(sha256(out.subarray(0, size - CHECKSUM)), size - CHECKSUM);
  return out;
}

/** Checks the trees cannot send prediction out of bounds or into a loop. */
function checkForest(f: Forest): void {
  const nodes = f.feature.length;
  const bad = (what: string): never => {
    throw new ModelLoadError('corrupted', `model file is corrupted: ${what}`);
  };
  for (let t = 0; t < f.nTrees; t++) {
    const r = f.roots[t];
    if (r < 0 || r >= nodes) bad(`root of tree ${t} out of range`);
    const end = t + 1 < f.nTrees ? f.roots[t + 1] : nodes;
    if (end <= r) bad(`trees out of order at tree ${t}`);
    for (let k = r; k < end; k++) {
      const feat = f.feature[k];
      if (feat === -1) continue;
      if (feat < 0 || feat >= f.nFeatures) bad(`node ${k} splits on unknown feature ${feat}`);
      // Pre-order: both children lie after the node and inside its tree.
      if (k + 1 >= end || f.right[k] <= k + 1 || f.right[k] >= end)
        bad(`node ${k} has bad children`);
    }
  }
  for (let k = 0; k < nodes; k++) {
    if (!(f.value[k] >= 0 && f.value[k] <= 1)) bad(`node ${k} value outside [0, 1]`);
  }
}

/** Parses and verifies a model file; throws ModelLoadError saying exactly what is wrong. */
export function parseModel(bytes: Uint8Array): ModelArtifact {
  assertLittleEndian();
  if (bytes.length < HEADER + CHECKSUM) {
    throw new ModelLoadError(
      'corrupted',
      `model file is corrupted: ${bytes.length} bytes is too short`,
    );
  }
  for (let k = 0; k < MAGIC.length; k++) {
    if (bytes[k] !== MAGIC[k]) {
      throw new ModelLoadError('corrupted', 'not a model file (bad magic bytes) or corrupted');
    }
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(8, true);
  if (version !== MODEL_FORMAT_VERSION) {
    throw new ModelLoadError(
      'unsupported_version',
      `unknown model format version ${version}; this build reads version ${MODEL_FORMAT_VERSION}`,
    );
  }
  const body = bytes.subarray(0, bytes.length - CHECKSUM);
  const expected = bytes.subarray(bytes.length - CHECKSUM);
  const actual = sha256(body);
  for (let k = 0; k < CHECKSUM; k++) {
    if (actual[k] !== expected[k]) {
      throw new ModelLoadError('corrupted', 'model file is corrupted: checksum mismatch');
    }
  }
  const jsonLen = view.getUint32(12, true);
  const nodes = view.getUint32(16, true);
  const trees = view.getUint32(20, true);
  const d = view.getUint32(24, true);
  const size =
    HEADER + jsonLen + pad8(4 * trees) + 2 * pad8(4 * nodes) + 16 * nodes + 8 * d + CHECKSUM;
  if (jsonLen % 8 !== 0 || size !== bytes.length) {
    throw new ModelLoadError('corrupted', 'model file is corrupted: section sizes do not add up');
  }
  let metadata: ModelMetadata;
  try {
    const raw: unknown = JSON.parse(
      new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(HEADER, HEADER + jsonLen)),
    );
    metadata = MetadataSchema.parse(raw);
  } catch (err) {
    throw new ModelLoadError(
      'corrupted',
      `model file is corrupted: bad metadata (${(err as Error).message.slice(0, 200)})`,
    );
  }
  if (metadata.features.length !== d) {
    throw new ModelLoadError(
      'corrupted',
      'model file is corrupted: feature count differs from metadata',
    );
  }
  // Copy into fresh, aligned buffers (the input may sit at any offset of a larger buffer).
  // (An explicit copy: Buffer#slice would return a view sharing the unaligned pool buffer.)
  const copy = new Uint8Array(bytes.length - CHECKSUM - HEADER - jsonLen);
  copy.set(bytes.subarray(HEADER + jsonLen, bytes.length - CHECKSUM));
  let off = 0;
  const i32 = (len: number): Int32Array => {
    const a = new Int32Array(copy.buffer, off, len);
    off += pad8(4 * len);
    return a;
  };
  const f64 = (len: number): Float64Array => {
    const a = new Float64Array(copy.buffer, off, len);
    off += 8 * len;
    return a;
  };
  const roots = i32(trees);
  const feature = i32(nodes);
  const right = i32(nodes);
  const forest: Forest = {
    nFeatures: d,
    nTrees: trees,
    roots,
    feature,
    right,
    threshold: f64(nodes),
    value: f64(nodes),
    imputation: f64(d),
  };
  if (trees === 0 || trees !== metadata.hyperparameters.nEstimators) {
    throw new ModelLoadError(
      'corrupted',
      'model file is corrupted: tree count differs from metadata',
    );
  }
  checkForest(forest);
  return { metadata, forest };
}

/** Throws feature_mismatch unless the model's features are exactly `expected`, in order. */
export function checkFeatures(modelFeatures: readonly string[], expected: readonly string[]): void {
  const same =
    modelFeatures.length === expected.length && modelFeatures.every((f, i) => f === expected[i]);
  if (same) return;
  const missing = expected.filter((f) => !modelFeatures.includes(f));
  const extra = modelFeatures.filter((f) => !expected.includes(f));
  const parts: string[] = [];
  if (missing.length) parts.push(`the request has features the model lacks: ${missing.join(', ')}`);
  if (extra.length) parts.push(`the model needs features the request lacks: ${extra.join(', ')}`);
  if (!parts.length) parts.push('same features in a different order');
  throw new ModelLoadError(
    'feature_mismatch',
    `model features differ from the request schema: ${parts.join('; ')} ` +
      `(model: ${modelFeatures.length} features, request: ${expected.length})`,
  );
}
