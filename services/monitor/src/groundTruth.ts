import { csvLines, splitCsvLine } from '@cancer-mlops/shared/domain/drift/csv.ts';

/**
 * Ground truth: confirmed diagnoses a hospital drops in the `raw` bucket under
 * `ground-truth/`, keyed by the inference id the prediction carried. Accepted:
 * - CSV with a header naming `inference_id` and `diagnosis` (M/B), in any column order;
 * - JSON Lines `{"inference_id": "...", "diagnosis": "M"}`;
 * - SageMaker's own ground-truth lines
 *   `{"groundTruthData": {"data": "1", "encoding": "CSV"}, "eventMetadata": {"eventId": "..."}}`.
 * Bad rows are counted by reason; nothing in a row other than the id and label is read.
 */

export const GROUND_TRUTH_BUCKET = 'raw';
export const GROUND_TRUTH_PREFIX = 'ground-truth/';

export interface GroundTruthLabel {
  inferenceId: string;
  /** 1 = malignant. */
  actual: 0 | 1;
}

export interface GroundTruthFile {
  key: string;
  labels: GroundTruthLabel[];
  rows: number;
  skipped: number;
  reasons: Record<string, number>;
  /** Set when the whole file is unusable. */
  error?: string;
}

const ID_COLUMNS = ['inference_id', 'inferenceid', 'inference id', 'event_id', 'eventid'];
const LABEL_COLUMNS = ['diagnosis', 'label', 'ground_truth', 'groundtruth', 'actual', 'target'];

function diagnosis(v: unknown): 0 | 1 | undefined {
  if (v === undefined || v === null) return undefined;
  const s = String(v).trim().toLowerCase();
  if (['m', 'malignant', '1', 'true'].includes(s)) return 1;
  if (['b', 'benign', '0', 'false'].includes(s)) return 0;
  return undefined;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function fromJsonLine(line: string): GroundTruthLabel | string {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return 'malformed JSON line';
  }
  if (!isObject(v)) return 'not a JSON object';
  let id: unknown = v.inference_id ?? v.inferenceId;
  let label: unknown = v.diagnosis ?? v.label;
  if (isObject(v.groundTruthData)) {
    label = v.groundTruthData.data;
    if (isObject(v.eventMetadata)) id = v.eventMetadata.eventId ?? v.eventMetadata.inferenceId;
  }
  if (typeof id !== 'string' || id.trim() === '') return 'no inference id';
  const actual = diagnosis(label);
  if (actual === undefined) return 'diagnosis is not M or B';
  return { inferenceId: id.trim(), actual };
}

export function parseGroundTruth(key: string, text: string): GroundTruthFile {
  const file: GroundTruthFile = { key, labels: [], rows: 0, skipped: 0, reasons: {} };
  const lines = csvLines(text);
  if (lines.length === 0) return { ...file, error: 'empty file' };
  const skip = (reason: string) => {
    file.skipped++;
    file.reasons[reason] = (file.reasons[reason] ?? 0) + 1;
  };
  const jsonLines =
    /\.(jsonl|ndjson|json)$/i.test(key) ||
    (!/\.csv$/i.test(key) && lines[0].trim().startsWith('{'));
  if (jsonLines) {
    for (const line of lines) {
      file.rows++;
      const r = fromJsonLine(line);
      if (typeof r === 'string') skip(r);
      else file.labels.push(r);
    }
    return file;
  }
  const header = splitCsvLine(lines[0]).map((h) => h.toLowerCase());
  const idCol = header.findIndex((h) => ID_COLUMNS.includes(h));
  const labelCol = header.findIndex((h) => LABEL_COLUMNS.includes(h));
  if (idCol < 0 || labelCol < 0)
    return { ...file, error: 'CSV header needs an inference_id and a diagnosis column' };
  for (const line of lines.slice(1)) {
    file.rows++;
    const cells = splitCsvLine(line);
    const id = cells[idCol];
    const actual = diagnosis(cells[labelCol]);
    if (!id) skip('no inference id');
    else if (actual === undefined) skip('diagnosis is not M or B');
    else file.labels.push({ inferenceId: id, actual });
  }
  return file;
}
