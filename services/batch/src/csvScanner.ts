/**
 * A streaming RFC 4180 scanner over raw bytes, for the batch hot path. It never builds a
 * string per cell: each complete record is handed over as field offsets into the chunk, and
 * the caller decides which cells to decode (a note), which to parse as numbers straight from
 * the bytes (the measurements) and which to copy through untouched. Quoted fields with
 * delimiters, doubled quotes and line breaks, CRLF or LF, and a UTF-8 BOM are handled; a
 * record longer than `maxRecordBytes` (an unclosed quote swallowing the file) is reported and
 * skipped rather than buffered without bound.
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

export class CsvScanner {
  private carry: Buffer | undefined;
  private starts = new Int32Array(64);
  private ends = new Int32Array(64);
  private quoted = new Uint8Array(64);
  private first = true;
  private readonly delimiter: number;

  constructor(
    private readonly sink: CsvRecordSink,
    delimiter = ',',
    private readonly maxRecordBytes = 4_000_000,
  ) {
    this.delimiter = delimiter.charCodeAt(0);
  }

  /** Scans every complete record in `chunk` (after what was left of the previous one). */
  push(chunk: Buffer): void {
    let buf = this.carry ? Buffer.concat([this.carry, chunk]) : chunk;
    this.carry = undefined;
    let start = 0;
    if (this.first && buf.length > 0) {
      if (buf.length < 3 && buf[0] === 0xef) {
        this.carry = buf;
        return;
      }
      this.first = false;
      if (buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) start = 3;
    }
    const consumed = this.scan(buf, start, false);
    if (consumed < buf.length) {
      if (buf.length - consumed > this.maxRecordBytes) {
        this.sink.malformed(
          `row longer than ${this.maxRecordBytes} bytes (is a quote never closed?)`,
        );
        buf = this.skipLine(buf, consumed);
        this.carry = buf.length > 0 ? buf : undefined;
        return;
      }
      this.carry = Buffer.from(buf.subarray(consumed));
    }
  }

  /** Scans what is left: a last record without a line break. */
  end(): void {
    if (this.carry && this.carry.length > 0) {
      const buf = this.carry;
      this.carry = undefined;
      const consumed = this.scan(buf, 0, true);
      if (consumed < buf.length)
        this.sink.malformed(
          'a quoted field is never closed (everything after its opening quote is in this row)',
        );
    }
  }

  /** Drops the oversized record up to the next line break, so the rest of the file survives. */
  private skipLine(buf: Buffer, from: number): Buffer {
    const lf = buf.indexOf(LF, from + this.maxRecordBytes);
    return lf === -1 ? Buffer.alloc(0) : Buffer.from(buf.subarray(lf + 1));
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
   * (all of it at the end of input, when `final`). For callers that keep their own carry.
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

/** The text of a field, with a quoted field's doubled quotes undone. */
export function fieldText(buf: Buffer, start: number, end: number, quoted: number): string {
  const text = buf.toString('utf8', start, end);
  return quoted === 2 ? text.replaceAll('""', '"') : text;
}
