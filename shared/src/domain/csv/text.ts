/**
 * General CSV (RFC 4180) for files with a header and text columns, such as training channels:
 * quoted fields with commas, doubled quotes and line breaks inside, CRLF or LF. Slower than
 * the numeric parser (it builds strings); training reads each file once.
 */
import { CsvError } from './errors.ts';

export interface CsvRecord {
  /** 1-based line where the record starts. */
  line: number;
  fields: string[];
}

/** Parses CSV text into records of fields; blank lines are skipped. */
export function parseCsv(text: string): CsvRecord[] {
  const records: CsvRecord[] = [];
  const n = text.length;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0; // byte-order mark
  let line = 1;
  let record: string[] = [];
  let field = '';
  let recordLine = 1;
  let fieldStarted = false;
  const endRecord = (): void => {
    const blank = record.length === 0 && field === '' && !fieldStarted;
    if (!blank) {
      record.push(field);
      records.push({ line: recordLine, fields: record });
    }
    record = [];
    field = '';
    fieldStarted = false;
  };
  while (i < n) {
    const c = text[i];
    if (c === '"' && field.trim() === '') {
      // Quoted field (whitespace before the quote is ignored).
      const startLine = line;
      field = '';
      i++;
      for (;;) {
        if (i >= n) throw new CsvError('unterminated quoted field', startLine, record.length + 1);
        const q = text[i];
        if (q === '"') {
          if (text[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        if (q === '\n') line++;
        field += q;
        i++;
      }
      fieldStarted = true;
      while (i < n && (text[i] === ' ' || text[i] === '\t')) i++;
      if (i < n && text[i] !== ',' && text[i] !== '\n' && text[i] !== '\r') {
        throw new CsvError('unexpected text after a closing quote', line, record.length + 1);
      }
      continue;
    }
    if (c === ',') {
      record.push(field);
      field = '';
      fieldStarted = true;
      i++;
      continue;
    }
    if (c === '\r' || c === '\n') {
      endRecord();
      i += c === '\r' && text[i + 1] === '\n' ? 2 : 1;
      line++;
      recordLine = line;
      continue;
    }
    if (c === '"') throw new CsvError('quote inside an unquoted field', line, record.length + 1);
    field += c;
    fieldStarted = true;
    i++;
  }
  if (record.length > 0 || field !== '' || fieldStarted) endRecord();
  return records;
}
