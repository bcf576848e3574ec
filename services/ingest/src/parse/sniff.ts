import { Readable } from 'node:stream';
import { hasUtf16Bom, UTF16_REFUSAL } from '@cancer-mlops/shared/domain/csv/encoding.ts';

export type Delimiter = ',' | ';' | '\t';

export type FileFormat =
  | { kind: 'csv'; delimiter: Delimiter; decimalComma: boolean }
  | { kind: 'jsonl' }
  | { kind: 'refused'; reason: string };

/** Bytes looked at before deciding what a file is; a header line is far shorter. */
export const SNIFF_BYTES = 64 * 1024;

/**
 * Decides from the first bytes whether a file is CSV (and its delimiter), JSON Lines, or
 * neither, and says why in the last case. Content decides, not the file name: hospital
 * exports arrive as `.txt`, `.data` or no extension at all.
 */
export function sniffFormat(head: Buffer): FileFormat {
  if (hasUtf16Bom(head)) return { kind: 'refused', reason: UTF16_REFUSAL };
  if (head.includes(0)) {
    return {
      kind: 'refused',
      reason: 'the file is binary (it contains NUL bytes), not CSV or JSON Lines text',
    };
  }
  if (!isUtf8(head)) {
    return {
      kind: 'refused',
      reason: 'the file is not UTF-8 text; save it as UTF-8 CSV or JSON Lines',
    };
  }
  const text = head.toString('utf8').replace(/^\uFEFF/, '');
  const first = text.trimStart()[0];
  if (first === undefined) return { kind: 'refused', reason: 'the file is empty' };
  if (first === '{') return { kind: 'jsonl' };
  if (first === '[') {
    return {
      kind: 'refused',
      reason: 'the file is a JSON array; expected JSON Lines (one JSON object per line) or CSV',
    };
  }
  const delimiter = sniffDelimiter(firstRecord(text));
  return { kind: 'csv', delimiter, decimalComma: delimiter === ';' };
}

/**
 * The delimiter that occurs most often outside quotes in the first record; `,` wins ties and
 * single-column files. With `;` the decimal separator is a comma (the European CSV dialect).
 */
export function sniffDelimiter(line: string): Delimiter {
  const counts: Record<Delimiter, number> = { ',': 0, ';': 0, '\t': 0 };
  let quoted = false;
  for (const c of line) {
    if (c === '"') quoted = !quoted;
    else if (!quoted && (c === ',' || c === ';' || c === '\t')) counts[c] += 1;
  }
  let best: Delimiter = ',';
  for (const d of [';', '\t'] as const) if (counts[d] > counts[best]) best = d;
  return best;
}

/** The first record of a CSV text: up to the first line break that is not inside quotes. */
function firstRecord(text: string): string {
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (c === '"') quoted = !quoted;
    else if (!quoted && (c === '\n' || c === '\r')) return text.slice(0, i);
  }
  return text;
}

/** Valid UTF-8, allowing a multi-byte character cut off at the end of the sample. */
function isUtf8(bytes: Buffer): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes, { stream: true });
    return true;
  } catch {
    return false;
  }
}

/**
 * Reads the first `bytes` of a stream and gives back those bytes plus a stream that replays
 * them followed by the rest, so the file is still read once, from S3, in constant memory.
 */
export async function peek(
  stream: Readable,
  bytes = SNIFF_BYTES,
): Promise<{ head: Buffer; stream: Readable }> {
  const iterator = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer | string>;
  const chunks: Buffer[] = [];
  let length = 0;
  let done = false;
  while (length < bytes) {
    const next = await iterator.next();
    if (next.done) {
      done = true;
      break;
    }
    const chunk = toBuffer(next.value);
    chunks.push(chunk);
    length += chunk.length;
  }
  const buffered = Buffer.concat(chunks);
  async function* replay(): AsyncGenerator<Buffer> {
    try {
      if (buffered.length > 0) yield buffered;
      if (done) return;
      for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
        yield toBuffer(next.value);
      }
    } finally {
      // Stopping early (a refused header) releases the source, e.g. the S3 connection.
      if (!done) await iterator.return?.();
    }
  }
  return {
    head: buffered.subarray(0, bytes),
    stream: Readable.from(replay(), { objectMode: false }),
  };
}

const toBuffer = (v: Buffer | Uint8Array | string): Buffer =>
  Buffer.isBuffer(v)
    ? v
    : typeof v === 'string'
      ? Buffer.from(v, 'utf8')
      : Buffer.from(v.buffer, v.byteOffset, v.byteLength);
