/**
 * A streaming RFC 4180 scanner over raw bytes, for the batch hot path. It never builds a
 * string per cell: each complete record is handed over as field offsets into the chunk, and
 * the caller decides which cells to decode (a note), which to parse as numbers straight from
 * the bytes (the measurements) and which to copy through untouched. Quoted fields with
 * delimiters, doubled quotes and line breaks, CRLF or LF are handled. A record too long to
 * buffer (an unclosed quote swallowing the file, or a runaway note) is passed over by
 * RecordSkipper to its true end, quotes and all, so that nothing inside it is read as a row.
 *
 * Why not a library: csv-parse (ingest's strict parser) manages ~60k rows/s here; string-per-
 * cell parsers (papaparse, uDSV) allocate 32 strings per row before a single number is read.
 * This scanner plus `parseNumberBytes` is the byte-level limit measured in docs/PERFORMANCE.md.
 */

const QUOTE = 0x22;
const CR = 0x0d;
const LF = 0x0a;

export interface CsvRecordSink {
  /**
   * One record: field i is `buf[starts[i], ends[i])`; quoted fields exclude their quotes and
   * still hold doubled quotes (`quoted[i] === 2` when any must be undone). Valid only during
   * the call: the buffer is reused.
   */
  record(buf: Buffer, n: number, starts: Int32Array, ends: Int32Array, quoted: Uint8Array): void;
  /** A record that cannot be read; scanning goes on with the next one. */
  malformed(reason: string): void;
}

/**
 * The records of a byte stream, chunk by chunk: the caller keeps the carry (the record cut by
 * the chunk's end) and its bound, and hands the scanner whole chunks (see scan).
 */
export class CsvScanner {
  private starts = new Int32Array(64);
  private ends = new Int32Array(64);
  private quoted = new Uint8Array(64);
  private readonly delimiter: number;

  constructor(
    private readonly sink: CsvRecordSink,
    delimiter = ',',
  ) {
    this.delimiter = delimiter.charCodeAt(0);
  }

  private grow(): void {
    const size = this.starts.length * 2;
    const s = new Int32Array(size);
    s.set(this.starts);
    const e = new Int32Array(size);
    e.set(this.ends);
    const q = new Uint8Array(size);
    q.set(this.quoted);
    this.starts = s;
    this.ends = e;
    this.quoted = q;
  }

  /**
   * Scans records from `pos`; returns the offset of the first record not complete in `buf`
   * (all of it at the end of input, when `final`).
   */
  scan(buf: Buffer, pos: number, final: boolean): number {
    const len = buf.length;
    const delim = this.delimiter;
    let recordStart = pos;
    let n = 0;
    let fieldStart = pos;
    let i = pos;
    while (i < len) {
      const c = buf[i];
      if (c === delim) {
        if (n === this.starts.length) this.grow();
        this.starts[n] = fieldStart;
        this.ends[n] = i;
        this.quoted[n] = 0;
        n++;
        fieldStart = ++i;
        continue;
      }
      if (c === LF || c === CR) {
        const end = i;
        if (c === CR) {
          if (i + 1 >= len && !final) return recordStart; // CR at the chunk's end: wait for LF
          if (buf[i + 1] === LF) i++;
        }
        i++;
        // A line with nothing on it is a blank line, not a row.
        if (n > 0 || end > fieldStart) {
          if (n === this.starts.length) this.grow();
          this.starts[n] = fieldStart;
          this.ends[n] = end;
          this.quoted[n] = 0;
          this.sink.record(buf, n + 1, this.starts, this.ends, this.quoted);
        }
        n = 0;
        recordStart = fieldStart = i;
        continue;
      }
      if (c === QUOTE && i === fieldStart) {
        // A quoted field: find its closing quote, skipping doubled quotes.
        let j = i + 1;
        let doubled = 0;
        for (;;) {
          const q = buf.indexOf(QUOTE, j);
          if (q === -1) return recordStart;
          if (q + 1 < len && buf[q + 1] === QUOTE) {
            doubled = 1;
            j = q + 2;
            continue;
          }
          if (q + 1 === len && !final) return recordStart; // may be the first of a doubled quote
          const after = q + 1 < len ? buf[q + 1] : LF;
          if (after !== delim && after !== LF && after !== CR) {
            // Text after a closing quote: the record is malformed; skip to the end of its line.
            const lf = buf.indexOf(LF, q);
            if (lf === -1 && !final) return recordStart;
            this.sink.malformed('characters follow a closing quote');
            i = lf === -1 ? len : lf + 1;
            n = 0;
            recordStart = fieldStart = i;
            break;
          }
          if (n === this.starts.length) this.grow();
          this.starts[n] = i + 1;
          this.ends[n] = q;
          this.quoted[n] = doubled ? 2 : 1;
          i = q + 1;
          if (after === delim) {
            n++;
            fieldStart = ++i;
          } else {
            // Record ends after this quoted field.
            let next = i;
            if (after === CR) {
              if (next + 1 >= len && !final) return recordStart;
              if (buf[next + 1] === LF) next++;
            }
            next = Math.min(len, next + 1);
            this.sink.record(buf, n + 1, this.starts, this.ends, this.quoted);
            n = 0;
            recordStart = fieldStart = i = next;
          }
          break;
        }
        continue;
      }
      i++;
    }
    if (!final) return recordStart;
    // The last record has no line break.
    if (n > 0 || len > fieldStart) {
      if (n === this.starts.length) this.grow();
      this.starts[n] = fieldStart;
      this.ends[n] = len;
      this.quoted[n] = 0;
      this.sink.record(buf, n + 1, this.starts, this.ends, this.quoted);
    }
    return len;
  }
}

/** Where RecordSkipper is in a record. */
const Skip = {
  FieldStart: 0,
  Unquoted: 1,
  Quoted: 2,
  /** A quote inside a quoted field: closing, or the first of a doubled quote. */
  QuoteInQuoted: 3,
  /** Text after a closing quote: the scanner drops the rest of such a line. */
  LineTail: 4,
} as const;
type SkipState = (typeof Skip)[keyof typeof Skip];

/**
 * Passes over the rest of one record, chunk after chunk, with the scanner's own reading of
 * quotes: a line break inside a quoted field does not end it, a quote only opens a field at
 * its start, `""` inside quotes is a quote. Holds no bytes, only where it is in the record.
 */
export class RecordSkipper {
  private state: SkipState = Skip.FieldStart;
  private readonly delimiter: number;

  constructor(delimiter = ',') {
    this.delimiter = delimiter.charCodeAt(0);
  }

  /** Starts over at the beginning of a record. */
  reset(): void {
    this.state = Skip.FieldStart;
  }

  /**
   * Reads `buf` from `pos`: the offset just past the record's line break (CR, LF or CRLF; a
   * CR at the very end of `buf` may leave its LF to the next chunk, which reads as a blank
   * line), or -1 when the record goes on past `buf`.
   */
  skip(buf: Buffer, pos: number): number {
    const delim = this.delimiter;
    let state: SkipState = this.state;
    for (let i = pos; i < buf.length; i++) {
      const c = buf[i];
      switch (state) {
        case Skip.Quoted:
          if (c === QUOTE) state = Skip.QuoteInQuoted;
          continue;
        case Skip.LineTail:
          if (c === LF) return this.ended(i + 1);
          continue;
        case Skip.QuoteInQuoted:
          if (c === QUOTE) {
            state = Skip.Quoted;
            continue;
          }
          if (c !== delim && c !== LF && c !== CR) {
            state = Skip.LineTail;
            continue;
          }
          break;
        case Skip.FieldStart:
          if (c === QUOTE) {
            state = Skip.Quoted;
            continue;
          }
          break;
        default:
          break;
      }
      // Outside quotes.
      if (c === LF) return this.ended(i + 1);
      if (c === CR) return this.ended(i + 1 < buf.length && buf[i + 1] === LF ? i + 2 : i + 1);
      state = c === delim ? Skip.FieldStart : Skip.Unquoted;
    }
    this.state = state;
    return -1;
  }

  private ended(at: number): number {
    this.state = Skip.FieldStart;
    return at;
  }
}

/** The text of a field, with a quoted field's doubled quotes undone. */
export function fieldText(buf: Buffer, start: number, end: number, quoted: number): string {
  const text = buf.toString('utf8', start, end);
  return quoted === 2 ? text.replaceAll('""', '"') : text;
}
