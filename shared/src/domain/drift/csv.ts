/**
 * The little CSV the monitor needs (baseline samples, ground-truth files, CSV-encoded
 * capture payloads): comma-separated, double-quoted fields with "" escapes, one record per
 * line (no newlines inside fields).
 */
export function splitCsvLine(line: string): string[] {
  const out: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"' && field === '') quoted = true;
    else if (ch === ',') {
      out.push(field);
      field = '';
    } else field += ch;
  }
  out.push(field);
  return out.map((f) => f.trim());
}

/** Non-empty lines, without a byte-order mark and carriage returns. */
export function csvLines(text: string): string[] {
  return text
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .filter((l) => l.trim() !== '');
}

/** A CSV field as a number: NaN when empty or not a number. */
export function csvNumber(field: string | undefined): number {
  if (field === undefined || field.trim() === '') return Number.NaN;
  const v = Number(field);
  return Number.isFinite(v) ? v : Number.NaN;
}

export interface NumericTable {
  header: string[];
  /** One array per column, NaN for missing or non-numeric cells. */
  columns: Map<string, number[]>;
  rows: number;
}

/** A header row then numeric rows, read column-wise. */
export function parseNumericCsv(text: string): NumericTable {
  const lines = csvLines(text);
  if (lines.length === 0) return { header: [], columns: new Map(), rows: 0 };
  const header = splitCsvLine(lines[0]);
  const columns = new Map<string, number[]>(header.map((h) => [h, []]));
  for (const line of lines.slice(1)) {
    const cells = splitCsvLine(line);
    header.forEach((h, i) => columns.get(h)?.push(csvNumber(cells[i])));
  }
  return { header, columns, rows: lines.length - 1 };
}
