import type { Readable } from 'node:stream';
import { parse, type CsvError, type Options } from 'csv-parse';
import {
  NOT_UTF8_TEXT,
  NUL_TEXT,
  unreadableTextReason,
} from '@cancer-mlops/shared/domain/csv/encoding.ts';
import type { Delimiter } from './sniff.ts';
import type { RawValue } from './values.ts';

/** One record of a file, numbered from 1 in file order; a record that cannot be read says why. */
export type CsvRecord =
  { n: number; cells: string[] } | { n: number; error: string; fatal?: boolean };
export type JsonRecord =
  { n: number; object: Record<string, RawValue> } | { n: number; error: string };

/**
 * A record above this many characters is refused (a 100,000-character note fits easily). It
 * bounds memory: an unclosed quote would otherwise pull the rest of the file into one field.
 */
export const MAX_RECORD_CHARS = 4_000_000;

/**
 * The sniff judges a file's first 64 KiB; a byte that is not UTF-8 later on would be read as
 * U+FFFD and stored garbled, so its row is refused instead.
 */
export const NOT_UTF8_ROW = NOT_UTF8_TEXT;
/**
 * A NUL byte past the sniffed head, where the whole file would have been refused as binary:
 * the row is quarantined instead of its NUL reaching the feature store and the scorer.
 */
export const NUL_ROW = NUL_TEXT;

/**
 * RFC 4180 records from a stream through csv-parse: quoted fields with delimiters, quotes and
 * line breaks, CRLF or LF, a UTF-8 BOM. A record csv-parse cannot read (an unclosed quote) is
 * handed on as an error at its place in the file instead of ending the file, and records
 * whose every cell is empty (`;;;;` lines from spreadsheets) are blank lines, not rows.
 */
export async function* readCsvRecords(
  stream: Readable,
  delimiter: Delimiter,
): AsyncGenerator<CsvRecord> {
  // csv-parse calls on_record and on_skip in file order while parsing, but skipped records
  // never reach the stream: numbering both here puts each error back at its place.
  let seq = 0;
  const skipped: { n: number; error: string; fatal?: boolean }[] = [];
  const options: Options<{ n: number; cells: string[] }, string[]> = {
    delimiter,
    // Every line ending, not only the first one's: a header saved on Windows (CRLF) with rows
    // appended by a script (LF) is otherwise read as one long row.
    record_delimiter: ['\r\n', '\n', '\r'],
    bom: true,
    relax_column_count: true,
    relax_quotes: true,
    skip_empty_lines: true,
    skip_records_with_empty_values: true,
    skip_records_with_error: true,
    max_record_size: MAX_RECORD_CHARS,
    on_record: (cells) => ({ n: ++seq, cells }),
    on_skip: (err) => {
      // csv-parse abandons the rest of its input after an oversized record, so that one ends
      // the file; the caller reports how far it got instead of silently losing the rest.
      const fatal = err?.code === 'CSV_MAX_RECORD_SIZE';
      skipped.push({ n: ++seq, error: csvErrorReason(err), ...(fatal ? { fatal } : {}) });
      return undefined;
    },
  };
  // The typings only let on_record return the record type; ours wraps it with its number.
  const parser = parse(options as unknown as Options);
  stream.on('error', (e) => parser.destroy(e));
  stream.pipe(parser);
  try {
    for await (const record of parser as AsyncIterable<{ n: number; cells: string[] }>) {
      while (skipped.length > 0 && skipped[0].n < record.n) {
        const error = skipped.shift()!;
        yield error;
        if (error.fatal) return;
      }
      let unreadable: string | undefined;
      for (const cell of record.cells) if ((unreadable ??= unreadableTextReason(cell))) break;
      yield unreadable ? { n: record.n, error: unreadable } : record;
    }
    for (const error of skipped) {
      yield error;
      if (error.fatal) return;
    }
  } finally {
    stream.unpipe(parser);
    stream.destroy();
    parser.destroy();
  }
}

/**
 * csv-parse's messages quote the offending text, which may be a note; only the code is used.
 */
export function csvErrorReason(err: CsvError | undefined): string {
  switch (err?.code) {
    case 'CSV_QUOTE_NOT_CLOSED':
      return 'CSV syntax: a quoted field is never closed (everything after its opening quote is in this row)';
    case 'CSV_INVALID_CLOSING_QUOTE':
    case 'CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE':
      return 'CSV syntax: characters follow a closing quote';
    case 'INVALID_OPENING_QUOTE':
      return 'CSV syntax: a quote opens inside an unquoted field';
    case 'CSV_MAX_RECORD_SIZE':
      return `row longer than ${MAX_RECORD_CHARS} characters`;
    default:
      return `CSV syntax error (${err?.code ?? 'unknown'})`;
  }
}

/**
 * JSON Lines: one JSON object per line, blank lines ignored, CRLF or LF, a BOM on the first
 * line tolerated. A line that is not a JSON object is an error row, never a stopped file.
 */
export async function* readJsonLines(stream: Readable): AsyncGenerator<JsonRecord> {
  let n = 0;
  let first = true;
  try {
    for await (const line of splitLines(stream, MAX_RECORD_CHARS)) {
      const text = first && line !== TOO_LONG ? line.replace(/^\uFEFF/, '') : line;
      first = false;
      if (text === TOO_LONG) {
        yield { n: ++n, error: `row longer than ${MAX_RECORD_CHARS} characters` };
        continue;
      }
      if (text.trim() === '') continue;
      n += 1;
      const unreadable = unreadableTextReason(text);
      if (unreadable) {
        yield { n, error: unreadable };
        continue;
      }
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        yield { n, error: 'not valid JSON' };
        continue;
      }
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        yield { n, error: 'not a JSON object' };
        continue;
      }
      yield { n, object: value as Record<string, RawValue> };
    }
  } finally {
    stream.destroy();
  }
}

const TOO_LONG = Symbol('line too long');

/**
 * Lines of a byte stream (LF or CRLF), each decoded as UTF-8. Unlike readline it bounds a
 * line: one longer than `maxBytes` is skipped to its end and reported as TOO_LONG, so a file
 * with no line breaks cannot exhaust memory. Splitting bytes at 0x0A is safe in UTF-8.
 */
async function* splitLines(
  stream: Readable,
  maxBytes: number,
): AsyncGenerator<string | typeof TOO_LONG> {
  let parts: Buffer[] = [];
  let size = 0;
  let overflow = false;
  const finish = (): string | typeof TOO_LONG => {
    const line = overflow ? TOO_LONG : Buffer.concat(parts).toString('utf8').replace(/\r$/, '');
    parts = [];
    size = 0;
    overflow = false;
    return line;
  };
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    let start = 0;
    for (let nl = chunk.indexOf(0x0a, start); nl !== -1; nl = chunk.indexOf(0x0a, start)) {
      if (!overflow) parts.push(chunk.subarray(start, nl));
      if (size + nl - start > maxBytes) overflow = true;
      yield finish();
      start = nl + 1;
    }
    if (start < chunk.length && !overflow) {
      size += chunk.length - start;
      if (size > maxBytes) {
        overflow = true;
        parts = [];
      } else {
        parts.push(chunk.subarray(start));
      }
    }
  }
  if (overflow || size > 0) yield finish();
}
