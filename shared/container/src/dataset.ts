/**
 * Reads a SageMaker channel of CSV files into a matrix. Every file has a header row; diagnosis
 * (M/B, 1/0, malignant/benign) is the label, record_id and patient_id are ignored, every other
 * column is a feature, in header order. Empty, NA, NaN, null and ? are missing values (NaN).
 * Errors name the file (relative to the channel), line and column, never a cell's content
 * beyond a short label code.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { parseCsv } from '@cancer-mlops/shared/domain/csv/text.ts';
import { CsvError } from '@cancer-mlops/shared/domain/csv/errors.ts';

export class DatasetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DatasetError';
  }
}

export interface Dataset {
  features: string[];
  X: Float64Array;
  y: Uint8Array;
  rows: number;
  malignant: number;
  /** sha256 over the files' bytes in path order (for the dataset id). */
  digest: string;
  files: string[];
}

const LABEL = 'diagnosis';
const IGNORED = new Set(['record_id', 'patient_id']);
const MALIGNANT = new Set(['m', '1', 'malignant', '1.0']);
const BENIGN = new Set(['b', '0', 'benign', '0.0']);
const MISSING = new Set(['', 'na', 'nan', 'null', '?']);
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

async function listFiles(dir: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await listFiles(p)));
    else if (e.isFile()) out.push(p);
  }
  return out.sort();
}

/** Whether the channel folder exists and holds at least one file. */
export async function channelExists(dir: string): Promise<boolean> {
  return (await listFiles(dir)).length > 0;
}

export async function readChannel(dir: string, channel: string): Promise<Dataset> {
  const files = await listFiles(dir);
  if (files.length === 0) throw new DatasetError(`${channel} channel is missing or empty (${dir})`);
  const hash = createHash('sha256');
  let header: string[] | null = null;
  let featureCols: number[] = [];
  let labelCol = -1;
  const values: number[] = [];
  const labels: number[] = [];
  for (const file of files) {
    const name = `${channel}/${relative(dir, file)}`;
    const bytes = await readFile(file);
    hash.update(bytes);
    let records;
    try {
      records = parseCsv(bytes.toString('utf8'));
    } catch (err) {
      if (err instanceof CsvError) throw new DatasetError(`${name}: ${err.message}`);
      throw err;
    }
    if (records.length === 0)
      throw new DatasetError(`${name} is empty (expected a header row and data rows)`);
    const head = records[0].fields.map((h) => h.trim());
    if (header === null) {
      header = head;
      const lower = head.map((h) => h.toLowerCase());
      const seen = new Set<string>();
      for (const h of head) {
        if (h === '') throw new DatasetError(`${name}: the header has an empty column name`);
        if (seen.has(h)) throw new DatasetError(`${name}: column ${h} appears twice in the header`);
        seen.add(h);
      }
      labelCol = lower.indexOf(LABEL);
      if (labelCol < 0)
        throw new DatasetError(
          `${name}: no ${LABEL} column in the header (a header row is required)`,
        );
      featureCols = lower.flatMap((h, i) => (i === labelCol || IGNORED.has(h) ? [] : [i]));
      if (featureCols.length === 0)
        throw new DatasetError(`${name}: no feature columns besides ${LABEL}`);
    } else if (head.join(',') !== header.join(',')) {
      throw new DatasetError(`${name}: header differs from the channel's first file`);
    }
    for (let r = 1; r < records.length; r++) {
      const { line, fields } = records[r];
      if (fields.length !== header.length) {
        throw new DatasetError(
          `${name} line ${line}: ${fields.length} fields; the header has ${header.length}`,
        );
      }
      const code = fields[labelCol].trim().toLowerCase();
      if (MALIGNANT.has(code)) labels.push(1);
      else if (BENIGN.has(code)) labels.push(0);
      else {
        const shown = code.length > 12 ? `${code.slice(0, 12)}...` : code;
        throw new DatasetError(
          `${name} line ${line}: unknown ${LABEL} code ${JSON.stringify(shown)} (expected M/B, 1/0 or malignant/benign)`,
        );
      }
      for (const c of featureCols) {
        const s = fields[c].trim();
        if (MISSING.has(s.toLowerCase())) values.push(NaN);
        else if (NUMBER.test(s)) values.push(Number(s));
        else
          throw new DatasetError(`${name} line ${line}: non-numeric value in column ${header[c]}`);
      }
    }
  }
  const features = featureCols.map((c) => (header as string[])[c]);
  const rows = labels.length;
  if (rows === 0) throw new DatasetError(`${channel} channel has a header but no data rows`);
  const y = Uint8Array.from(labels);
  const malignant = labels.reduce((a, b) => a + b, 0);
  return {
    features,
    X: Float64Array.from(values),
    y,
    rows,
    malignant,
    digest: hash.digest('hex'),
    files: files.map((f) => relative(dir, f)),
  };
}
