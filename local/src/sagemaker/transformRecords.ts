import { copySpan } from '@cancer-mlops/shared/domain/copySpan.ts';

/**
 * A batch transform's records on their way to the model and back, as SageMaker handles them
 * for SplitType Line, BatchStrategy MultiRecord and AssembleWith Line: the input split at line
 * breaks into mini-batches (InputFilter applied), and each answer joined line by line to what
 * the input kept (JoinSource Input) and cut by OutputFilter.
 *
 * This is the local runtime's hot loop for a million-row file, so it works in place: each
 * input chunk is appended to the mini-batch's own buffer and every line's model part is moved
 * down over the bytes already consumed (`copyWithin`: no allocation, no per-line view), and
 * answers are joined the same way.
 */

/** One mini-batch: the model's part of each line, and what a joined line keeps of its input. */
export interface MiniBatch {
  /** A view of `buffer`. */
  payload: Buffer;
  /** The batch's own buffer, which the caller may hand back (`spare`) once the batch is answered. */
  buffer: Buffer;
  /** Bytes that joined lines keep from the input (the ids, or the whole lines without a filter). */
  kept: Buffer;
  keptEnds: Int32Array;
  lines: number;
}

/** A job's record handling failed; the message is the job's FailureReason. */
export class TransformJobError extends Error {
  override readonly name = 'TransformJobError';
}

const LF = 0x0a;
const CR = 0x0d;
const COMMA = 0x2c;

/**
 * OutputFilter over a joined CSV line as column indexes (negative from the end): `$` (all),
 * or `$[i,j,…]`. Returns undefined for `$`.
 */
export function parseOutputFilter(filter: string): number[] | undefined {
  if (filter === '$' || filter === '') return undefined;
  const m = /^\$\[(-?\d+(?:\s*,\s*-?\d+)*)\]$/.exec(filter);
  if (!m)
    throw new Error(
      `ValidationException: the local transform supports OutputFilter "$" or "$[i,j,…]", not ${filter}`,
    );
  return m[1].split(',').map((s) => Number(s.trim()));
}

/**
 * Splits the input at line breaks into mini-batches of at most `maxBytes` of model input
 * (a single longer line is a batch of its own, as SageMaker sends it), applying InputFilter
 * `$[1:]` when `dropId` (else `$`). Blank lines are not records. Buffers of answered batches
 * pushed onto `spare` are used again: a million-row file is then a handful of buffers
 * instead of a fresh one per batch (whose garbage the collector otherwise chases).
 */
export async function* miniBatches(
  input: AsyncIterable<Buffer | string>,
  maxBytes: number,
  dropId: boolean,
  spare: Buffer[] = [],
): AsyncGenerator<MiniBatch> {
  const size = maxBytes + (1 << 20);
  const fresh = (least: number): Buffer => {
    const b = spare.pop();
    return b && b.length >= least ? b : Buffer.allocUnsafe(Math.max(size, least));
  };
  // buf[0, p): the payload so far; buf[r, end): input not yet split into lines (r >= p).
  let buf = fresh(size);
  let p = 0;
  let r = 0;
  let end = 0;
  let kept = Buffer.allocUnsafe(64 * 1024);
  let k = 0;
  let keptEnds = new Int32Array(4096);
  let lines = 0;

  /** The finished batch; the unsplit input moves to a fresh buffer. */
  const take = (): MiniBatch => {
    const batch = {
      payload: buf.subarray(0, p),
      buffer: buf,
      kept: kept.subarray(0, k),
      keptEnds: keptEnds.subarray(0, lines),
      lines,
    };
    const rest = buf.subarray(r, end);
    buf = fresh(rest.length * 2);
    buf.set(rest, 0);
    end = rest.length;
    r = p = 0;
    kept = Buffer.allocUnsafe(kept.length);
    keptEnds = new Int32Array(keptEnds.length);
    k = lines = 0;
    return batch;
  };

  /** The line buf[r, lf); returns a full batch when this line does not fit in it. */
  const line = (lf: number): MiniBatch | undefined => {
    const start = r;
    const stop = lf > start && buf[lf - 1] === CR ? lf - 1 : lf;
    r = lf + 1;
    if (stop <= start) return undefined; // a blank line is not a record
    let modelStart = start;
    let keepEnd = stop;
    if (dropId) {
      let c = start;
      while (c < stop && buf[c] !== COMMA) c++;
      keepEnd = c;
      modelStart = c < stop ? c + 1 : stop;
    }
    if (p + (stop - modelStart + 1) > maxBytes && lines > 0) {
      r = start; // the line moves to the next batch's buffer with the unsplit input
      const full = take();
      line(lf - start); // it fits: that batch is empty
      return full;
    }
    if (k + (keepEnd - start) > kept.length) {
      const bigger = Buffer.allocUnsafe(Math.max(kept.length * 2, k + (keepEnd - start)));
      kept.copy(bigger, 0, 0, k);
      kept = bigger;
    }
    if (lines === keptEnds.length) {
      const bigger = new Int32Array(keptEnds.length * 2);
      bigger.set(keptEnds);
      keptEnds = bigger;
    }
    k += copySpan(buf, start, keepEnd, kept, k);
    keptEnds[lines++] = k;
    buf.copyWithin(p, modelStart, stop);
    p += stop - modelStart;
    buf[p++] = LF;
    return undefined;
  };

  for await (const piece of input) {
    const chunk = typeof piece === 'string' ? Buffer.from(piece) : piece;
    if (end + chunk.length > buf.length) {
      // Room: first drop the consumed input between the payload and the unsplit rest.
      buf.copyWithin(p, r, end);
      end = p + (end - r);
      r = p;
      if (end + chunk.length > buf.length) {
        const bigger = Buffer.allocUnsafe(Math.max(buf.length * 2, end + chunk.length));
        buf.copy(bigger, 0, 0, end);
        buf = bigger;
      }
    }
    buf.set(chunk, end);
    end += chunk.length;
    // Searched within the input only: past `end` the buffer holds stale bytes.
    let input = buf.subarray(0, end);
    for (let lf = input.indexOf(LF, r); lf !== -1; lf = input.indexOf(LF, r)) {
      const full = line(lf);
      if (full) {
        input = buf.subarray(0, end);
        yield full;
      }
    }
  }
  if (r < end) {
    // The last line has no line break.
    if (end === buf.length) {
      const bigger = Buffer.allocUnsafe(end + 1);
      buf.copy(bigger, 0, 0, end);
      buf = bigger;
    }
    buf[end] = LF;
    const full = line(end++);
    if (full) yield full;
  }
  if (lines > 0) yield take();
}

/** Lines in an answer: those ending in LF, and a last one without. */
function countLines(answer: Buffer): number {
  let n = 0;
  for (let lf = answer.indexOf(LF); lf !== -1; lf = answer.indexOf(LF, lf + 1)) n++;
  return answer.length > 0 && answer[answer.length - 1] !== LF ? n + 1 : n;
}

/**
 * The mini-batch's output lines: the model's answer, one line per record, joined to what the
 * input kept (JoinSource Input: input columns, then output columns) and cut by OutputFilter.
 */
export function assemble(
  batch: MiniBatch,
  answer: Buffer,
  join: boolean,
  pick: number[] | undefined,
): Buffer {
  const wrongCount = () =>
    new TransformJobError(
      `ClientError: the model returned ${countLines(answer)} lines for ${batch.lines} records`,
    );
  if (!join) {
    if (countLines(answer) !== batch.lines) throw wrongCount();
    return answer[answer.length - 1] === LF ? answer : Buffer.concat([answer, Buffer.from('\n')]);
  }
  const firstLf = answer.indexOf(LF);
  // The common case, `$[0,-2,-1]` after `$[1:]` with two output columns: the kept id, a
  // comma, the model's line. Every line of one answer has the same columns.
  if (
    pick !== undefined &&
    !isKeptPlusAnswer(pick, answer, firstLf === -1 ? answer.length : firstLf)
  )
    return assemblePicked(batch, answer, pick, wrongCount);

  // The answer goes at the tail of the output; each joined line is then written from the
  // front, always behind the answer bytes still to read.
  const out = Buffer.allocUnsafe(batch.kept.length + answer.length + batch.lines * 2 + 1);
  let a = out.length - answer.length;
  out.set(answer, a);
  let o = 0;
  let keptStart = 0;
  for (let i = 0; i < batch.lines; i++) {
    if (a >= out.length) throw wrongCount();
    let lf = out.indexOf(LF, a);
    if (lf === -1) lf = out.length;
    const stop = lf > a && out[lf - 1] === CR ? lf - 1 : lf;
    const keptEnd = batch.keptEnds[i];
    o += copySpan(batch.kept, keptStart, keptEnd, out, o);
    out[o++] = COMMA;
    out.copyWithin(o, a, stop);
    o += stop - a;
    out[o++] = LF;
    keptStart = keptEnd;
    a = lf + 1;
  }
  if (a < out.length) throw wrongCount();
  return out.subarray(0, o);
}

/** Any other OutputFilter: each joined line split into columns and picked from. */
function assemblePicked(
  batch: MiniBatch,
  answer: Buffer,
  pick: number[],
  wrongCount: () => Error,
): Buffer {
  if (countLines(answer) !== batch.lines) throw wrongCount();
  const out: string[] = [];
  let keptStart = 0;
  let a = 0;
  for (let i = 0; i < batch.lines; i++) {
    let lf = answer.indexOf(LF, a);
    if (lf === -1) lf = answer.length;
    const stop = lf > a && answer[lf - 1] === CR ? lf - 1 : lf;
    const fields = [
      ...batch.kept.toString('utf8', keptStart, batch.keptEnds[i]).split(','),
      ...answer.toString('utf8', a, stop).split(','),
    ];
    out.push(`${pick.map((c) => fields[c < 0 ? fields.length + c : c] ?? '').join(',')}\n`);
    keptStart = batch.keptEnds[i];
    a = lf + 1;
  }
  return Buffer.from(out.join(''));
}

/** True when `pick` is the first kept column plus every model output column (`$[0,-2,-1]` for two). */
function isKeptPlusAnswer(pick: number[], answer: Buffer, end: number): boolean {
  if (pick[0] !== 0) return false;
  let columns = 1;
  for (let i = 0; i < end; i++) if (answer[i] === COMMA) columns++;
  if (pick.length !== columns + 1) return false;
  for (let j = 1; j < pick.length; j++) if (pick[j] !== j - pick.length) return false;
  return true;
}
