/**
 * The dataset CSV the container trains on: header `record_id,diagnosis,<model features>`,
 * label M/B, one record per line, numbers in JavaScript's shortest round-trip form and an
 * empty cell for a missing value. Only this module writes or reads that format here.
 */

const NEEDS_QUOTES = /[",\r\n]/;

export function csvCell(value: string): string {
  return NEEDS_QUOTES.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

export function csvLine(cells: readonly string[]): string {
  return `${cells.map(csvCell).join(',')}\n`;
}

/** Splits CSV text into rows of cells (RFC 4180 quoting); a trailing newline adds no row. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  let i = 0;
  const src = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  while (i < src.length) {
    const c = src[i];
    if (quoted) {
      if (c === '"') {
        if (src[i + 1] === '"') {
          cell += '"';
          i += 2;
          continue;
        }
        quoted = false;
      } else cell += c;
      i++;
      continue;
    }
    if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && src[i + 1] === '\n') i++;
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
    } else cell += c;
    i++;
  }
  if (cell !== '' || row.length > 0) {
    row.push(cell);
    rows.push(row);
  }
  return rows;
}

export interface DatasetTable {
  features: string[];
  recordIds: string[];
  /** 1 = malignant (M), 0 = benign (B). */
  labels: Int8Array;
  /** Row-major, NaN where a cell was empty. */
  values: Float64Array;
}

/** Reads a dataset CSV written by the dataset builder; throws on anything else. */
export function readDatasetCsv(text: string): DatasetTable {
  const rows = parseCsv(text);
  if (rows.length === 0) throw new Error('dataset CSV is empty');
  const [header, ...body] = rows;
  if (header[0] !== 'record_id' || header[1] !== 'diagnosis') {
    throw new Error('dataset CSV must start with the columns record_id,diagnosis');
  }
  const features = header.slice(2);
  const d = features.length;
  const values = new Float64Array(body.length * d);
  const labels = new Int8Array(body.length);
  const recordIds: string[] = [];
  body.forEach((cells, r) => {
    if (cells.length !== header.length) {
      throw new Error(
        `dataset CSV line ${r + 2} has ${cells.length} cells; the header has ${header.length}`,
      );
    }
    recordIds.push(cells[0]);
    if (cells[1] !== 'M' && cells[1] !== 'B')
      throw new Error(`dataset CSV line ${r + 2}: diagnosis must be M or B`);
    labels[r] = cells[1] === 'M' ? 1 : 0;
    for (let j = 0; j < d; j++) {
      const cell = cells[j + 2];
      values[r * d + j] = cell === '' ? Number.NaN : Number(cell);
    }
  });
  return { features, recordIds, labels, values };
}
