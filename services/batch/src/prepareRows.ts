import type { Readable } from 'node:stream';
import { normaliseHeader } from '@cancer-mlops/shared/contracts/featureGroup.ts';
import {
  longerThanChars,
  MAX_NOTE_CHARS,
  MAX_RECORD_ID_CHARS,
  type FieldIssue,
  type ModelInputValidator,
} from '@cancer-mlops/shared/domain/validation/modelInput.ts';
import type { NoteScorer } from '@cancer-mlops/shared/ports/noteScorer.ts';
import { columnLabel } from '@cancer-mlops/shared/domain/validation/columnLabel.ts';
import { unsafeRecordIdReason } from '@cancer-mlops/shared/domain/validation/recordId.ts';
import {
  hasUtf16Bom,
  unreadableTextReason,
  UTF16_REFUSAL,
} from '@cancer-mlops/shared/domain/csv/encoding.ts';
import { CleanRows } from './cleanRowsKernel.ts';
import { DecimalMark } from '@cancer-mlops/shared/domain/csv/decimalMark.ts';
import { CsvScanner, fieldText, RecordSkipper, type CsvRecordSink } from './csvScanner.ts';
import { MISSING_NUMBER, parseNumberBytes, type NumberSpan } from './numberBytes.ts';
import { Limiter, OutputAssembler, type AssemblerOptions } from './preparedOutput.ts';

/**
 * Turns a hospital's batch file (CSV with any accepted header spelling, or JSON Lines) into
 * the transform job's input: one line per valid row, `<record_id>,<model features…>`, no
 * header, in input order, with every note replaced by its score. Rows that fail validation
 * or whose note cannot be scored go to `onError` with their reasons and never reach the model.
 *
 * A row's record id is its `record_id` cell, or its row number when it has none, so every
 * output line can be matched to its input row. Ids travel as bare CSV cells through the
 * transform's join, so an id with a comma, a quote or a line break is refused, and so is one
 * that a spreadsheet opening the output would run as a formula.
 */

export interface RowError {
  /** Data row number, from 1 (the header is not a row). */
  row: number;
  record_id?: string;
  errors: FieldIssue[];
}

export interface PrepareStats {
  format: 'csv' | 'jsonl';
  /** Data rows read (blank lines not counted). */
  rows: number;
  valid: number;
  errors: number;
  notes_scored: number;
  /** Header cells that name no known column (cut to 64 characters). */
  ignored_columns: string[];
}

export interface PrepareOptions extends AssemblerOptions {
  validator: ModelInputValidator;
  scorer: NoteScorer;
  onError: (error: RowError) => void;
  /** Notes scored at once. */
  noteConcurrency?: number;
  /**
   * Runs of clean rows are found in WebAssembly (cleanRows.wat) unless false; the TypeScript
   * check alone decides the same rows (the tests compare the two).
   */
  cleanRowsKernel?: boolean;
}

/** The whole file is unusable (no header, a measurement column missing, …): one reason for all rows. */
export class FileRefusedError extends Error {
  override readonly name = 'FileRefusedError';
}

export type FileFormat =
  { kind: 'csv'; delimiter: ',' | ';' | '\t'; decimalComma: boolean } | { kind: 'jsonl' };

/** Content decides, not the file name: exports arrive as `.txt` or with no extension. */
export function sniffFormat(head: Buffer): FileFormat {
  if (hasUtf16Bom(head)) throw new FileRefusedError(UTF16_REFUSAL);
  let i = head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? 3 : 0;
  while (
    i < head.length &&
    (head[i] === 0x20 || head[i] === 0x09 || head[i] === 0x0a || head[i] === 0x0d)
  )
    i++;
  if (i === head.length) throw new FileRefusedError('the file is empty');
  if (head.includes(0))
    throw new FileRefusedError(
      'the file is binary (it contains NUL bytes), not CSV or JSON Lines text',
    );
  if (head[i] === 0x7b) return { kind: 'jsonl' };
  if (head[i] === 0x5b)
    throw new FileRefusedError(
      'the file is a JSON array; expected JSON Lines (one JSON object per line) or CSV',
    );
  const counts = { ',': 0, ';': 0, '\t': 0 };
  let quoted = false;
  for (; i < head.length; i++) {
    const c = head[i];
    if (c === 0x22) quoted = !quoted;
    else if (!quoted && (c === 0x0a || c === 0x0d)) break;
    else if (!quoted && c === 0x2c) counts[',']++;
    else if (!quoted && c === 0x3b) counts[';']++;
    else if (!quoted && c === 0x09) counts['\t']++;
  }
  let delimiter: ',' | ';' | '\t' = ',';
  for (const d of [';', '\t'] as const) if (counts[d] > counts[delimiter]) delimiter = d;
  return { kind: 'csv', delimiter, decimalComma: delimiter === ';' };
}

const ID = -1;
const NOTE = -2;
const IGNORED = -3;
const COMMA = 0x2c;
const LF = 0x0a;
const CR = 0x0d;
const DOT = 0x2e;
const QUOTE = 0x22;
const SPACE = 0x20;
const TAB = 0x09;
const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i);

/** Shared by both readers: limits, counts, scoring and the output. */
abstract class RowPreparer {
  readonly out: OutputAssembler;
  readonly stats: PrepareStats;
  protected readonly validator: ModelInputValidator;
  protected readonly nSlots: number;
  protected readonly scoreSlot: number;
  private readonly limiter: Limiter;

  constructor(
    protected readonly options: PrepareOptions,
    format: 'csv' | 'jsonl',
  ) {
    this.validator = options.validator;
    this.nSlots = this.validator.featureNames.length;
    this.scoreSlot = this.validator.scoreSlot;
    this.out = new OutputAssembler(options);
    this.limiter = new Limiter(Math.max(1, options.noteConcurrency ?? 8));
    this.stats = { format, rows: 0, valid: 0, errors: 0, notes_scored: 0, ignored_columns: [] };
  }

  protected fail(row: number, recordId: string | undefined, errors: FieldIssue[]): void {
    this.stats.errors++;
    this.options.onError(
      recordId === undefined ? { row, errors } : { row, record_id: recordId, errors },
    );
  }

  /** A valid row with a note: its line is written once the note has a score. */
  protected scoreLater(
    row: number,
    recordId: string | undefined,
    prefix: string,
    note: string,
  ): void {
    const pending = { settled: false, promise: Promise.resolve<Buffer | undefined>(undefined) };
    pending.promise = this.limiter
      .run(() => this.options.scorer.score(note))
      .then(
        (s) => {
          this.stats.notes_scored++;
          this.stats.valid++;
          return Buffer.from(`${prefix},${s.malignancy_risk_score}\n`, 'utf8');
        },
        (e: unknown) => {
          // The scorer's message may quote the note: only the kind of failure is kept.
          const kind = e instanceof Error ? e.name : 'error';
          this.fail(row, recordId, [
            { field: 'pathology_note', reason: `the note could not be scored (${kind})` },
          ]);
          return undefined;
        },
      )
      .finally(() => {
        pending.settled = true;
      });
    this.out.later(pending);
  }

  /** CSV-safe record id: what a bare cell of the transform's join can carry. */
  protected idIssue(id: string): FieldIssue | undefined {
    if (id.length > MAX_RECORD_ID_CHARS)
      return { field: 'record_id', reason: `longer than ${MAX_RECORD_ID_CHARS} characters` };
    if (/[",\r\n]/.test(id))
      return { field: 'record_id', reason: 'contains a comma, a quote or a line break' };
    const unsafe = unsafeRecordIdReason(id);
    return unsafe === undefined ? undefined : { field: 'record_id', reason: unsafe };
  }
}

/**
 * The CSV reader: header mapping, then every record straight from the bytes. Chunks without a
 * quote (numeric dumps, the common case) take a fused path that finds the fields and reads
 * the numbers in one pass; anything with a quote goes through the RFC 4180 scanner. When the
 * columns already are `record_id`, then the model features in model order, a clean row is
 * copied to the model input as it is.
 */
export class CsvRowPreparer extends RowPreparer implements CsvRecordSink {
  private colSlot: Int32Array | undefined;
  private nColumns = 0;
  private hasScore = false;
  private hasNote = false;
  /** The header is exactly record_id + the model features in order. */
  private identity = false;
  /** With such a header and a score column: runs of clean lines found in WebAssembly. */
  private cleanRows: CleanRows | undefined;
  private readonly values: Float64Array;
  private readonly spanStart: Int32Array;
  private readonly spanEnd: Int32Array;
  private readonly plain: Uint8Array;
  private readonly span: NumberSpan = { plain: 0, start: 0, end: 0, mark: 0 };
  /** A semicolon file's decimal mark (see decimalMark.ts). */
  private readonly decimalMark = new DecimalMark();
  /** Per slot of the current row: written with the other decimal mark. */
  private readonly otherMark: Uint8Array;
  /** Why such a cell is refused (the same for every cell of the file). */
  private otherMarkReason = '';
  private readonly min: Float64Array;
  private readonly max: Float64Array;
  private readonly scanner: CsvScanner;
  private readonly delimiter: number;
  private carry: Buffer | undefined;
  private first = true;
  private readonly skipper: RecordSkipper;
  /** The row number of a record too long to buffer, while its rest is being passed over. */
  private skipping: number | undefined;

  constructor(
    options: PrepareOptions,
    private readonly format: { delimiter: ',' | ';' | '\t'; decimalComma: boolean },
    private readonly maxRecordBytes = 4_000_000,
  ) {
    super(options, 'csv');
    this.values = new Float64Array(this.nSlots);
    this.spanStart = new Int32Array(this.nSlots);
    this.spanEnd = new Int32Array(this.nSlots);
    this.plain = new Uint8Array(this.nSlots);
    this.otherMark = new Uint8Array(this.nSlots);
    this.min = this.validator.min;
    this.max = this.validator.max;
    this.scanner = new CsvScanner(this, format.delimiter);
    this.skipper = new RecordSkipper(format.delimiter);
    this.delimiter = format.delimiter.charCodeAt(0);
  }

  async *prepare(input: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    for await (const chunk of input) {
      this.push(chunk);
      yield* this.out.drain(false);
    }
    if (this.skipping !== undefined) {
      this.fail(this.skipping, undefined, [
        {
          field: '(row)',
          reason: `CSV syntax: row longer than ${this.maxRecordBytes} bytes that never ends: a quote is never closed, so everything after it to the end of the file is in this row and was not read`,
        },
      ]);
      this.skipping = undefined;
    }
    if (this.carry && this.carry.length > 0) {
      const rest = this.carry;
      this.carry = undefined;
      if (this.scanner.scan(rest, 0, true) < rest.length) {
        this.malformed(
          'a quoted field is never closed (everything after its opening quote is in this row)',
        );
      }
    }
    if (this.colSlot === undefined) throw new FileRefusedError('the file has no header row');
    yield* this.out.drain(true);
  }

  private push(chunk: Buffer): void {
    if (this.skipping !== undefined) {
      const at = this.skipper.skip(chunk, 0);
      if (at === -1) return;
      this.skipped();
      if (at === chunk.length) return;
      chunk = chunk.subarray(at);
    }
    // On the fast path only the line cut by the previous chunk is joined to this one, instead
    // of copying every chunk behind its predecessor's tail.
    if (this.carry && this.colSlot !== undefined && this.carry.indexOf(QUOTE) === -1) {
      const lf = chunk.indexOf(LF);
      if (lf !== -1 && chunk.indexOf(QUOTE) === -1) {
        const head = Buffer.concat([this.carry, chunk.subarray(0, lf + 1)]);
        this.carry = undefined;
        this.pushWhole(head);
        if (this.carry) {
          // Not consumed (cannot happen for a complete line); fall back to joining.
          const rest = this.carry;
          this.carry = undefined;
          this.pushWhole(Buffer.concat([rest, chunk.subarray(lf + 1)]));
          return;
        }
        this.pushWhole(chunk.subarray(lf + 1));
        return;
      }
    }
    this.pushWhole(chunk);
  }

  private pushWhole(chunk: Buffer): void {
    const buf = this.carry ? Buffer.concat([this.carry, chunk]) : chunk;
    this.carry = undefined;
    let pos = 0;
    if (this.first) {
      if (buf.length < 3) {
        this.carry = buf;
        return;
      }
      this.first = false;
      if (buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) pos = 3;
    }
    const fast =
      this.colSlot !== undefined &&
      !this.hasNote &&
      !this.format.decimalComma &&
      buf.indexOf(QUOTE, pos) === -1 &&
      !hasLoneCr(buf, pos);
    const consumed = fast ? this.fastRows(buf, pos) : this.scanner.scan(buf, pos, false);
    if (consumed >= buf.length) return;
    if (buf.length - consumed > this.maxRecordBytes) {
      // Not buffered further, nor cut at a line break inside it: passed over to its true end
      // (a note's own lines must never be read as rows), then reported.
      this.skipping = ++this.stats.rows;
      this.skipper.reset();
      const at = this.skipper.skip(buf, consumed);
      if (at === -1) return;
      this.skipped();
      if (at < buf.length) this.pushWhole(buf.subarray(at));
      return;
    }
    this.carry = Buffer.from(buf.subarray(consumed));
  }

  /** The record too long to buffer has ended: one error row for it. */
  private skipped(): void {
    const row = this.skipping as number;
    this.skipping = undefined;
    this.fail(row, undefined, [
      {
        field: '(row)',
        reason: `CSV syntax: row longer than ${this.maxRecordBytes} bytes (a note that long, or a quote closed only much later)`,
      },
    ]);
  }

  malformed(reason: string): void {
    this.stats.rows++;
    this.fail(this.stats.rows, undefined, [{ field: '(row)', reason: `CSV syntax: ${reason}` }]);
  }

  /**
   * Every complete line of a quote-free `buf` from `pos`: fields found and numbers read in
   * one pass over the bytes. Returns the offset after the last complete line.
   */
  private fastRows(buf: Buffer, pos: number): number {
    const end = buf.lastIndexOf(LF) + 1;
    if (end <= pos) return pos;
    const colSlot = this.colSlot as Int32Array;
    const nCols = this.nColumns;
    const delim = this.delimiter;
    const { values, spanStart, spanEnd, plain, min, max, span } = this;
    const nMeasurements = this.scoreSlot;
    const scoreSlot = this.scoreSlot;
    const identity = this.identity && this.hasScore;
    let runStart = -1;
    let runEnd = -1;
    let i = pos;
    const kernel = this.cleanRows?.load(buf, pos, end) ? this.cleanRows : undefined;
    while (i < end) {
      if (kernel) {
        const stop = kernel.run(i);
        if (stop > i) {
          this.stats.rows += kernel.count;
          this.stats.valid += kernel.count;
          if (runStart < 0) runStart = i;
          runEnd = i = stop;
          if (i >= end) break;
        }
      }
      const lineStart = i;
      let b = buf[i];
      // A blank line, or spaces and tabs alone, as the scanner reads them (unless, with tabs
      // as the delimiter, they make exactly the header's number of empty cells). It ends the
      // run of lines copied as they are: the model input has no blank lines.
      let j = i;
      let cells = 1;
      while (buf[j] === SPACE || buf[j] === TAB) if (buf[j++] === delim) cells++;
      const eol = buf[j] === LF ? 1 : buf[j] === CR && buf[j + 1] === LF ? 2 : 0;
      if (eol > 0 && (j === i || cells !== nCols)) {
        if (runStart >= 0) this.out.ref(buf, runStart, runEnd);
        runStart = -1;
        i = j + eol;
        continue;
      }
      let c = 0;
      let idStart = -1;
      let idEnd = -1;
      let clean = 1;
      let bad = false;
      for (;;) {
        const slot = c < nCols ? colSlot[c] : IGNORED;
        const fieldStart = i;
        if (slot >= 0) {
          let m = 0;
          let digits = 0;
          let frac = -1;
          b = buf[i];
          for (;;) {
            const x = b - 48;
            if (x >= 0 && x <= 9) {
              m = m * 10 + x;
              digits++;
              if (frac >= 0) frac++;
            } else if (b === DOT && frac < 0) frac = 0;
            else break;
            b = buf[++i];
          }
          let v: number;
          if (
            (b === delim || b === LF || b === CR) &&
            digits > 0 &&
            digits <= 15 &&
            frac !== 0 &&
            buf[fieldStart] !== DOT
          ) {
            v = frac > 0 ? m / POW10[frac] : m;
            spanStart[slot] = fieldStart;
            spanEnd[slot] = i;
            plain[slot] = 1;
          } else {
            while (b !== delim && b !== LF) b = buf[++i];
            const fieldEnd = b === LF && i > fieldStart && buf[i - 1] === CR ? i - 1 : i;
            v = parseNumberBytes(buf, fieldStart, fieldEnd, false, span);
            spanStart[slot] = span.start;
            spanEnd[slot] = span.end;
            plain[slot] = span.plain;
            clean = 0;
          }
          values[slot] = v;
          if (slot < nMeasurements && !(v >= min[slot] && v <= max[slot])) bad = true;
        } else {
          b = buf[i];
          while (b !== delim && b !== LF) b = buf[++i];
          if (slot === ID) {
            idStart = fieldStart;
            idEnd = b === LF && i > fieldStart && buf[i - 1] === CR ? i - 1 : i;
          }
        }
        c++;
        b = buf[i];
        if (b === delim) {
          i++;
          continue;
        }
        break;
      }
      // buf[i] is the line's LF, or a CR before it.
      const lineEnd = i;
      i = buf[i] === CR && buf[i + 1] === LF ? i + 2 : i + 1;
      if (c !== nCols) {
        if (runStart >= 0) this.out.ref(buf, runStart, runEnd);
        runStart = -1;
        this.fieldCountError(buf, lineStart, lineEnd, c);
        continue;
      }
      this.stats.rows++;
      // A clean row in model layout is its own model input: it joins a run of lines that go
      // to the output as one slice of this chunk, without a byte copied.
      const score = values[scoreSlot];
      if (
        identity &&
        clean &&
        !bad &&
        buf[lineEnd] === LF &&
        score >= 1 &&
        score <= 10 &&
        score === Math.floor(score) &&
        idEnd - idStart <= MAX_RECORD_ID_CHARS &&
        isBareId(buf, idStart, idEnd)
      ) {
        if (runStart < 0) runStart = lineStart;
        runEnd = i;
        this.stats.valid++;
        continue;
      }
      if (runStart >= 0) this.out.ref(buf, runStart, runEnd);
      runStart = -1;
      this.finishRow(
        buf,
        this.stats.rows,
        bad,
        idStart,
        idEnd,
        0,
        -1,
        -1,
        0,
        clean ? lineStart : -1,
        lineEnd,
      );
    }
    if (runStart >= 0) this.out.ref(buf, runStart, runEnd);
    return end;
  }

  record(buf: Buffer, n: number, starts: Int32Array, ends: Int32Array, quoted: Uint8Array): void {
    const colSlot = this.colSlot;
    if (colSlot === undefined) {
      this.header(buf, n, starts, ends, quoted);
      return;
    }
    if (n !== this.nColumns) {
      if (!isBlank(buf, n, starts, ends))
        this.fail(++this.stats.rows, undefined, [this.countIssue(n)]);
      return;
    }
    const { values, spanStart, spanEnd, plain, span, min, max } = this;
    const nMeasurements = this.scoreSlot;
    const decimalComma = this.format.decimalComma;
    let bad = false;
    let idStart = -1;
    let idEnd = -1;
    let idQuoted = 0;
    let noteCol = -1;
    for (let c = 0; c < n; c++) {
      const slot = colSlot[c];
      if (slot >= 0) {
        let v: number;
        if (quoted[c] === 0) {
          v = parseNumberBytes(buf, starts[c], ends[c], decimalComma, span);
          spanStart[slot] = span.start;
          spanEnd[slot] = span.end;
          plain[slot] = span.plain;
        } else {
          // A quoted number ("17.99"): rare, read through its text.
          const b = Buffer.from(fieldText(buf, starts[c], ends[c], quoted[c]), 'utf8');
          v = parseNumberBytes(b, 0, b.length, decimalComma, span);
          plain[slot] = 0;
        }
        values[slot] = v;
        if (decimalComma) {
          this.otherMark[slot] = 0;
          const other =
            span.mark !== 0 && Number.isFinite(v)
              ? this.decimalMark.seeMark(span.mark === COMMA ? ',' : '.')
              : undefined;
          if (other) {
            this.otherMark[slot] = 1;
            this.otherMarkReason = other;
            bad = true;
          }
        }
        if (slot < nMeasurements && !(v >= min[slot] && v <= max[slot])) bad = true;
      } else if (slot === ID) {
        idStart = starts[c];
        idEnd = ends[c];
        idQuoted = quoted[c];
      } else if (slot === NOTE) {
        noteCol = c;
      }
    }
    const noteStart = noteCol >= 0 ? starts[noteCol] : -1;
    const noteEnd = noteCol >= 0 ? ends[noteCol] : -1;
    this.finishRow(
      buf,
      ++this.stats.rows,
      bad,
      idStart,
      idEnd,
      idQuoted,
      noteStart,
      noteEnd,
      noteCol >= 0 ? quoted[noteCol] : 0,
      -1,
      -1,
    );
  }

  private countIssue(n: number): FieldIssue {
    return { field: '(row)', reason: `the row has ${n} fields; the header has ${this.nColumns}` };
  }

  private fieldCountError(buf: Buffer, lineStart: number, lineEnd: number, n: number): void {
    for (let i = lineStart; i < lineEnd; i++) {
      const b = buf[i];
      if (b !== 0x20 && b !== 0x09 && b !== this.delimiter) {
        this.fail(++this.stats.rows, undefined, [this.countIssue(n)]);
        return;
      }
    }
  }

  /**
   * Validates what the readers found and writes the row (or its error). `lineStart` >= 0
   * says every number cell was plain, so with an identity header the line is copied whole.
   */
  private finishRow(
    buf: Buffer,
    row: number,
    bad: boolean,
    idStart: number,
    idEnd: number,
    idQuoted: number,
    noteStart: number,
    noteEnd: number,
    noteQuoted: number,
    lineStart: number,
    lineEnd: number,
  ): void {
    const { values, spanStart, spanEnd, plain } = this;
    const nMeasurements = this.scoreSlot;
    // The record id: bare bytes when it is plainly safe, else through its text.
    let recordId: string | undefined;
    let idBytes = false;
    if (idStart >= 0) {
      if (
        idQuoted === 0 &&
        idEnd - idStart <= MAX_RECORD_ID_CHARS &&
        isBareId(buf, idStart, idEnd)
      ) {
        idBytes = true;
      } else {
        const text = fieldText(buf, idStart, idEnd, idQuoted).trim();
        if (text !== '' && !isMissingText(text)) recordId = text;
      }
    }
    const score = this.hasScore ? values[this.scoreSlot] : MISSING_NUMBER;
    const hasScore = score !== MISSING_NUMBER;
    let note: string | undefined;
    if (noteStart >= 0 && noteEnd > noteStart) {
      const text = fieldText(buf, noteStart, noteEnd, noteQuoted);
      if (!isMissingText(text.trim())) note = text;
    }
    const scoreOk = !hasScore || (Number.isInteger(score) && score >= 1 && score <= 10);
    const idIssue = recordId !== undefined ? this.idIssue(recordId) : undefined;
    if (
      bad ||
      !scoreOk ||
      hasScore === (note !== undefined) ||
      idIssue ||
      (note !== undefined && noteIssue(note) !== undefined)
    ) {
      const id = idBytes ? buf.toString('utf8', idStart, idEnd) : idIssue ? undefined : recordId;
      this.fail(row, id, this.issues(hasScore, score, note, idIssue));
      return;
    }

    if (note !== undefined) {
      const id = idBytes ? buf.toString('utf8', idStart, idEnd) : recordId;
      let prefix = id ?? String(row);
      for (let s = 0; s < nMeasurements; s++) {
        prefix += `,${plain[s] ? buf.toString('latin1', spanStart[s], spanEnd[s]) : String(values[s])}`;
      }
      this.scoreLater(row, id, prefix, note);
      return;
    }

    const out = this.out;
    if (lineStart >= 0 && this.identity && idBytes) {
      out.reserve(lineEnd - lineStart + 1);
      out.copy(buf, lineStart, lineEnd);
      out.byte(LF);
      this.stats.valid++;
      return;
    }
    out.reserve(
      (lineEnd > lineStart ? lineEnd - lineStart : 0) +
        64 +
        24 * this.nSlots +
        MAX_RECORD_ID_CHARS * 4,
    );
    if (idBytes) out.copy(buf, idStart, idEnd);
    else if (recordId !== undefined) {
      const b = Buffer.from(recordId, 'utf8');
      out.reserve(b.length + 24 * this.nSlots + 64);
      out.copy(b, 0, b.length);
    } else out.ascii(String(row));
    for (let s = 0; s < this.nSlots; s++) {
      out.byte(COMMA);
      if (plain[s]) out.copy(buf, spanStart[s], spanEnd[s]);
      else out.ascii(String(values[s]));
    }
    out.byte(LF);
    this.stats.valid++;
  }

  /** Every reason a row is refused, in model order (only built for refused rows). */
  private issues(
    hasScore: boolean,
    score: number,
    note: string | undefined,
    idIssue: FieldIssue | undefined,
  ): FieldIssue[] {
    const issues: FieldIssue[] = [];
    if (idIssue) issues.push(idIssue);
    const names = this.validator.featureNames;
    for (let s = 0; s < this.scoreSlot; s++) {
      const v = this.values[s];
      if (v === MISSING_NUMBER) issues.push({ field: names[s], reason: 'missing' });
      else if (this.otherMark[s]) issues.push({ field: names[s], reason: this.otherMarkReason });
      else {
        const reason = Number.isNaN(v) ? 'not a number' : this.validator.measurementIssue(s, v);
        if (reason) issues.push({ field: names[s], reason });
      }
    }
    if (hasScore) {
      const reason = this.otherMark[this.scoreSlot]
        ? this.otherMarkReason
        : Number.isNaN(score)
          ? 'not a number'
          : this.validator.scoreIssue(score);
      if (reason) issues.push({ field: names[this.scoreSlot], reason });
    }
    const unreadable = note === undefined ? undefined : noteIssue(note);
    if (unreadable) issues.push(unreadable);
    const rule = this.validator.noteOrScoreIssue(note !== undefined, hasScore, issues);
    if (rule) issues.push(rule);
    return issues;
  }

  /**
   * Maps the header onto model slots through the feature group's aliases. A header that misses
   * a measurement, names one twice, or offers neither notes nor scores refuses the file: every
   * row would fail the same way. Reasons never quote header cells of a file without a header
   * (they would be patient data).
   */
  private header(
    buf: Buffer,
    n: number,
    starts: Int32Array,
    ends: Int32Array,
    quoted: Uint8Array,
  ): void {
    const colSlot = new Int32Array(n).fill(IGNORED);
    const seen = new Map<string, number>();
    let recognised = 0;
    for (let c = 0; c < n; c++) {
      const name = fieldText(buf, starts[c], ends[c], quoted[c]);
      const slot = this.validator.resolve(name);
      if (slot === undefined) {
        this.stats.ignored_columns.push(columnLabel(name, c + 1));
        continue;
      }
      recognised++;
      const key = String(slot);
      const earlier = seen.get(key);
      if (earlier !== undefined) {
        throw new FileRefusedError(
          `wrong header: columns ${earlier + 1} and ${c + 1} name the same field (${normaliseHeader(name).slice(0, 64)})`,
        );
      }
      seen.set(key, c);
      if (typeof slot === 'number') colSlot[c] = slot;
      else if (slot === 'record_id') colSlot[c] = ID;
      else if (slot === 'pathology_note') colSlot[c] = NOTE;
    }
    if (recognised === 0) {
      this.stats.ignored_columns = [];
      throw new FileRefusedError(
        `no recognised header: none of the ${n} column(s) is a known field name or alias (expected e.g. record_id, radius_mean, …, malignancy_risk_score or pathology_note)`,
      );
    }
    const names = this.validator.featureNames;
    const missing = names.slice(0, this.scoreSlot).filter((_, s) => !seen.has(String(s)));
    if (missing.length > 0) {
      const list =
        missing.length <= 8
          ? missing.join(', ')
          : `${missing.slice(0, 8).join(', ')} and ${missing.length - 8} more`;
      throw new FileRefusedError(
        `wrong header: ${missing.length} measurement column(s) missing: ${list}`,
      );
    }
    this.hasScore = seen.has(String(this.scoreSlot));
    this.hasNote = seen.has('pathology_note');
    if (!this.hasScore && !this.hasNote) {
      throw new FileRefusedError(
        'wrong header: the file has neither a pathology_note nor a malignancy_risk_score column',
      );
    }
    this.nColumns = n;
    this.colSlot = colSlot;
    // Copied as is only when the delimiter is already the comma the model input uses.
    this.identity =
      this.delimiter === COMMA &&
      n === this.nSlots + 1 &&
      colSlot[0] === ID &&
      colSlot.subarray(1).every((slot, i) => slot === i);
    if (
      this.identity &&
      this.hasScore &&
      !this.format.decimalComma &&
      this.options.cleanRowsKernel !== false
    ) {
      this.cleanRows = new CleanRows(
        this.min,
        this.max,
        this.scoreSlot,
        this.delimiter,
        MAX_RECORD_ID_CHARS,
      );
    }
    // With no score column the score slot stays missing for every row.
    this.values[this.scoreSlot] = MISSING_NUMBER;
  }
}

/** A JSON Lines line longer than this is refused, not buffered. */
const MAX_LINE_BYTES = 4_000_000;
/** Ignored keys named in the summary at most (as ingest names them). */
const MAX_IGNORED_KEYS = 100;

/** The JSON Lines reader: one object per line, through the shared validator. */
export class JsonlRowPreparer extends RowPreparer {
  private readonly ignoredKeys = new Set<string>();

  constructor(options: PrepareOptions) {
    super(options, 'jsonl');
  }

  async *prepare(input: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    let carry: Buffer | undefined;
    let first = true;
    /** Inside a line too long to buffer: its rest is dropped up to its line break. */
    let skipping = false;
    for await (const chunk of input) {
      const buf = carry ? Buffer.concat([carry, chunk]) : chunk;
      carry = undefined;
      let start = 0;
      if (first && buf.length >= 3) {
        first = false;
        if (buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) start = 3;
      }
      if (skipping) {
        const lf = buf.indexOf(LF, start);
        if (lf === -1) continue;
        skipping = false;
        start = lf + 1;
      }
      for (let lf = buf.indexOf(LF, start); lf !== -1; lf = buf.indexOf(LF, start)) {
        this.line(buf.toString('utf8', start, lf));
        start = lf + 1;
      }
      if (start < buf.length) {
        if (buf.length - start > MAX_LINE_BYTES) {
          this.stats.rows++;
          this.fail(this.stats.rows, undefined, [
            { field: '(row)', reason: `row longer than ${MAX_LINE_BYTES} bytes` },
          ]);
          skipping = true;
        } else carry = Buffer.from(buf.subarray(start));
      }
      yield* this.out.drain(false);
    }
    if (carry && carry.length > 0) this.line(carry.toString('utf8'));
    yield* this.out.drain(true);
  }

  private line(text: string): void {
    if (text.trim() === '') return;
    const row = ++this.stats.rows;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      this.fail(row, undefined, [{ field: '(row)', reason: 'not valid JSON' }]);
      return;
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      this.fail(row, undefined, [{ field: '(row)', reason: 'not a JSON object' }]);
      return;
    }
    // Keys the model does not know are ignored and named in the summary, as CSV columns are.
    if (this.ignoredKeys.size < MAX_IGNORED_KEYS) {
      for (const key in value) {
        if (this.validator.resolve(key) !== undefined) continue;
        const label = columnLabel(key);
        if (this.ignoredKeys.has(label) || this.ignoredKeys.size >= MAX_IGNORED_KEYS) continue;
        this.ignoredKeys.add(label);
        this.stats.ignored_columns.push(label);
      }
    }
    const verdict = this.validator.validateObject(value as Record<string, unknown>, {
      unknownKeys: 'ignore',
      numericStrings: true,
    });
    const given = (value as Record<string, unknown>).record_id;
    if (!verdict.ok) {
      this.fail(
        row,
        typeof given === 'string' || typeof given === 'number'
          ? String(given).slice(0, MAX_RECORD_ID_CHARS)
          : undefined,
        verdict.issues,
      );
      return;
    }
    const { input } = verdict;
    const idIssue = input.recordId !== undefined ? this.idIssue(input.recordId) : undefined;
    if (idIssue) {
      this.fail(row, undefined, [idIssue]);
      return;
    }
    const unreadable = input.note === undefined ? undefined : noteIssue(input.note);
    if (unreadable) {
      this.fail(row, input.recordId, [unreadable]);
      return;
    }
    const id = input.recordId ?? String(row);
    let line = id;
    for (let s = 0; s < this.scoreSlot; s++) line += `,${input.values[s]}`;
    if (input.note !== undefined) {
      this.scoreLater(row, input.recordId, line, input.note);
      return;
    }
    line += `,${input.score}\n`;
    const b = Buffer.from(line, 'utf8');
    this.out.reserve(b.length);
    this.out.copy(b, 0, b.length);
    this.stats.valid++;
  }
}

/** A note the model cannot be asked about: too long, not UTF-8 text, or with a NUL byte. */
function noteIssue(note: string): FieldIssue | undefined {
  if (longerThanChars(note, MAX_NOTE_CHARS))
    return { field: 'pathology_note', reason: `note too long (over ${MAX_NOTE_CHARS} characters)` };
  const unreadable = unreadableTextReason(note);
  return unreadable ? { field: 'pathology_note', reason: unreadable } : undefined;
}

function isBlank(buf: Buffer, n: number, starts: Int32Array, ends: Int32Array): boolean {
  for (let c = 0; c < n; c++) {
    for (let i = starts[c]; i < ends[c]; i++) if (buf[i] !== 0x20 && buf[i] !== 0x09) return false;
  }
  return true;
}

/**
 * A CR not followed by LF: a row break to the scanner (and to spreadsheets), which fastRows
 * does not know; such a chunk is the scanner's. A CR ending the chunk is judged with the next.
 */
function hasLoneCr(buf: Buffer, from: number): boolean {
  for (let i = buf.indexOf(CR, from); i !== -1 && i + 1 < buf.length; i = buf.indexOf(CR, i + 2))
    if (buf[i + 1] !== LF) return true;
  return false;
}

/** An unquoted id cell that can be copied as is: no spaces to trim, no quote, not a missing marker. */
function isBareId(buf: Buffer, start: number, end: number): boolean {
  if (end === start) return false;
  const first = buf[start];
  // = + - @ : checked as text (idIssue).
  if (first === 0x3d || first === 0x2b || first === 0x2d || first === 0x40) return false;
  if (buf[start] === 0x20 || buf[end - 1] === 0x20 || buf[start] === 0x09 || buf[end - 1] === 0x09)
    return false;
  for (let i = start; i < end; i++) {
    const c = buf[i];
    // Quotes, control characters (a lone CR is a row break to spreadsheets), non-ASCII.
    if (c === 0x22 || c < 0x20 || c >= 0x7f) return false;
  }
  // `?`, `NA`, `nan`, `null`, `n/a`: short cells are checked as text.
  return end - start > 4 || !isMissingText(buf.toString('latin1', start, end));
}

const MISSING_TEXT = new Set(['', '?', 'na', 'n/a', 'nan', 'null']);
function isMissingText(text: string): boolean {
  return text.length <= 4 && MISSING_TEXT.has(text.toLowerCase());
}

/** The preparer for a file's format. */
export function rowPreparer(
  format: FileFormat,
  options: PrepareOptions,
): CsvRowPreparer | JsonlRowPreparer {
  return format.kind === 'jsonl'
    ? new JsonlRowPreparer(options)
    : new CsvRowPreparer(options, format);
}

/** Reads the stream as Buffers (object stores hand out Buffers; strings are encoded). */
export async function* bufferChunks(
  stream: Readable | AsyncIterable<unknown>,
): AsyncGenerator<Buffer> {
  for await (const chunk of stream as AsyncIterable<unknown>) {
    yield Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
  }
}
