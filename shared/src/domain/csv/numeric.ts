/**
 * Byte-level parser for headerless numeric CSV: the serving and batch hot path. One pass over
 * the bytes, no strings, no splitting, no regular expressions, straight into a row-major
 * Float64Array.
 *
 * Rules:
 * - records end with LF, CRLF or CR; blank lines and a leading UTF-8 byte-order mark are skipped;
 * - fields are comma-separated; spaces and tabs around a field are ignored;
 * - a missing value is an empty field or one of NA, NaN, nan, null, ? and becomes NaN;
 * - a field may be quoted ("1.5", with "" as an escaped quote); its content must still be a
 *   number or a missing marker; a quoted field may not span lines;
 * - numbers: [+-] digits [. digits] [e|E [+-] digits]. The result equals Number(text) exactly:
 *   up to 15 significant digits and a decimal exponent within 22 it is one exact integer times
 *   or divided by an exact power of ten (a single correctly rounded operation); anything longer
 *   goes through Number.
 * Errors name the line and field, never the field's content (it may be a note or an id).
 */
import { CsvError } from './errors.ts';

export interface NumericCsv {
  /** Row-major values, rows x columns. */
  values: Float64Array;
  rows: number;
}

export interface NumericCsvOptions {
  /** Refuse input with more records than this. */
  maxRows?: number;
}

const POW10 = Float64Array.from({ length: 23 }, (_, i) => 10 ** i);
const latin1 = new TextDecoder('latin1');

const LF = 10;
const CR = 13;
const SPACE = 32;
const TAB = 9;
const COMMA = 44;
const QUOTE = 34;
const PLUS = 43;
const MINUS = 45;
const DOT = 46;
const D0 = 48;

/** Missing markers, compared on the raw bytes [s, e). */
function isMissingMarker(b: Uint8Array, s: number, e: number): boolean {
  const len = e - s;
  if (len === 1) return b[s] === 63; // ?
  if (len === 2) return b[s] === 78 && b[s + 1] === 65; // NA
  if (len === 3) {
    return (
      (b[s] === 78 || b[s] === 110) && b[s + 1] === 97 && (b[s + 2] === 78 || b[s + 2] === 110)
    );
  }
  if (len === 4) return b[s] === 110 && b[s + 1] === 117 && b[s + 2] === 108 && b[s + 3] === 108;
  return false;
}

const isBlank = (c: number): boolean => c === SPACE || c === TAB;
const isEnd = (c: number): boolean => c === COMMA || c === LF || c === CR;

/**
 * Scans a number starting at s; returns the end position (exclusive), or -1 when no number
 * starts there. The value is left in `scratch[0]`.
 */
function scanNumber(b: Uint8Array, s: number, n: number, scratch: Float64Array): number {
  let k = s;
  let neg = false;
  let c = k < n ? b[k] : 0;
  if (c === MINUS || c === PLUS) {
    neg = c === MINUS;
    k++;
  }
  let mant = 0;
  let sig = 0; // significant digits in mant
  let exp10 = 0;
  let any = false;
  let exact = true;
  while (k < n) {
    const dgt = b[k] - D0;
    if (dgt < 0 || dgt > 9) break;
    any = true;
    if (sig < 15) {
      mant = mant * 10 + dgt;
      if (mant !== 0) sig++;
    } else exact = false;
    k++;
  }
  if (k < n && b[k] === DOT) {
    k++;
    while (k < n) {
      const dgt = b[k] - D0;
      if (dgt < 0 || dgt > 9) break;
      any = true;
      if (sig < 15) {
        mant = mant * 10 + dgt;
        if (mant !== 0) sig++;
        exp10--;
      } else exact = false;
      k++;
    }
  }
  if (!any) return -1;
  c = k < n ? b[k] : 0;
  if (c === 101 || c === 69) {
    // e / E
    k++;
    let eneg = false;
    c = k < n ? b[k] : 0;
    if (c === MINUS || c === PLUS) {
      eneg = c === MINUS;
      k++;
    }
    let ev = 0;
    const e0 = k;
    while (k < n) {
      const dgt = b[k] - D0;
      if (dgt < 0 || dgt > 9) break;
      if (ev < 100000) ev = ev * 10 + dgt;
      k++;
    }
    if (k === e0) return -1;
    exp10 += eneg ? -ev : ev;
  }
  let v: number;
  if (!exact || exp10 > 22 || exp10 < -22) {
    v = Number(latin1.decode(b.subarray(s, k)));
  } else {
    v = exp10 === 0 ? mant : exp10 > 0 ? mant * POW10[exp10] : mant / POW10[-exp10];
    if (neg) v = -v;
  }
  scratch[0] = v;
  return k;
}

/**
 * Parses headerless numeric CSV with exactly `columns` fields per record.
 * Throws CsvError naming the line and field of the first problem.
 */
export function parseNumericCsv(
  bytes: Uint8Array,
  columns: number,
  options: NumericCsvOptions = {},
): NumericCsv {
  if (!Number.isInteger(columns) || columns < 1)
    throw new RangeError('columns must be a positive integer');
  const maxRows = options.maxRows ?? Infinity;
  // Sized for fields of 4+ bytes ("1.5,"); grown by doubling if the guess is short.
  let values = new Float64Array((Math.ceil(bytes.length / (4 * columns)) + 1) * columns);
  const scratch = new Float64Array(1);
  const n = bytes.length;
  // A UTF-8 byte-order mark is not part of the first field.
  let pos = n >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  let line = 0;
  let rows = 0;
  while (pos < n) {
    line++;
    // Blank or whitespace-only line: skip it.
    let k = pos;
    while (k < n && isBlank(bytes[k])) k++;
    if (k >= n) break;
    if (bytes[k] === LF || bytes[k] === CR) {
      pos = bytes[k] === CR && k + 1 < n && bytes[k + 1] === LF ? k + 2 : k + 1;
      continue;
    }
    if (rows >= maxRows) throw new CsvError(`more than ${maxRows} records`, line);
    if ((rows + 1) * columns > values.length) {
      const grown = new Float64Array(values.length * 2 + columns);
      grown.set(values);
      values = grown;
    }
    const base = rows * columns;
    let field = 0;
    k = pos;
    for (;;) {
      while (k < n && isBlank(bytes[k])) k++;
      const c = k < n ? bytes[k] : LF;
      let v: number;
      if (isEnd(c)) {
        v = NaN; // empty field
      } else if (c === QUOTE) {
        const r = quotedField(bytes, k, n, line, field + 1, scratch);
        v = scratch[0];
        k = r;
      } else {
        const e = scanNumber(bytes, k, n, scratch);
        let end = e;
        if (e !== -1) {
          while (end < n && isBlank(bytes[end])) end++;
        }
        if (e !== -1 && (end >= n || isEnd(bytes[end]))) {
          v = scratch[0];
          k = end;
        } else {
          // Not a number: a missing marker or an error.
          let fe = k;
          while (fe < n && !isEnd(bytes[fe])) fe++;
          let te = fe;
          while (te > k && isBlank(bytes[te - 1])) te--;
          if (!isMissingMarker(bytes, k, te)) throw notANumber(bytes, k, te, line, field + 1);
          v = NaN;
          k = fe;
        }
      }
      if (field < columns) values[base + field] = v;
      field++;
      if (k < n && bytes[k] === COMMA) {
        k++;
        continue;
      }
      break;
    }
    if (field !== columns) throw new CsvError(`${field} fields; expected ${columns}`, line);
    rows++;
    // k is at LF, CR or the end.
    pos = k < n && bytes[k] === CR && k + 1 < n && bytes[k + 1] === LF ? k + 2 : k + 1;
  }
  return {
    values: values.length === rows * columns ? values : values.subarray(0, rows * columns),
    rows,
  };
}

/** A quoted field starting at the quote `q`; leaves the value in scratch[0], returns the end. */
function quotedField(
  b: Uint8Array,
  q: number,
  n: number,
  line: number,
  field: number,
  scratch: Float64Array,
): number {
  const content: number[] = [];
  let k = q + 1;
  for (;;) {
    if (k >= n || b[k] === LF || b[k] === CR)
      throw new CsvError('unterminated quoted field', line, field);
    if (b[k] === QUOTE) {
      if (k + 1 < n && b[k + 1] === QUOTE) {
        content.push(QUOTE);
        k += 2;
        continue;
      }
      k++;
      break;
    }
    content.push(b[k++]);
  }
  while (k < n && isBlank(b[k])) k++;
  if (k < n && !isEnd(b[k]))
    throw new CsvError('unexpected text after a closing quote', line, field);
  const u = Uint8Array.from(content);
  let s = 0;
  let e = u.length;
  while (s < e && isBlank(u[s])) s++;
  while (e > s && isBlank(u[e - 1])) e--;
  if (s === e || isMissingMarker(u, s, e)) scratch[0] = NaN;
  else if (scanNumber(u, s, e, scratch) !== e) throw notANumber(u, s, e, line, field);
  return k;
}

/** Says where and how long, never what: a misplaced field may hold a note or an identifier. */
function notANumber(b: Uint8Array, s: number, e: number, line: number, field: number): CsvError {
  return new CsvError(`not a number (${e - s} characters of text)`, line, field);
}
