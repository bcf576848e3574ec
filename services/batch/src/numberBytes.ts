/**
 * Numbers straight from CSV bytes. The common cell (`17.99`, `0.006399`, `1001`) is read as
 * an integer mantissa and one division by a power of ten, which is exact (correctly rounded,
 * the same double `Number()` gives) while the mantissa stays below 2^53 and the power at most
 * 10^22; anything else (exponents, long mantissas, a decimal comma) falls back to `Number()`
 * on the cell's text after the same grammar check ingest applies.
 */

const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i);
const MAX_FAST_DIGITS = 15;

/** `NaN` when the cell is not a number; `MISSING_NUMBER` when it is a missing marker. */
export const MISSING_NUMBER = Number.NEGATIVE_INFINITY;

const SPACE = 0x20;
const TAB = 0x09;
const ZERO = 0x30;
const DOT = 0x2e;
const COMMA = 0x2c;

/**
 * Reads `buf[start, end)`. Returns the number, `NaN` when the cell is not a number, or
 * `MISSING_NUMBER` for an empty cell or a missing marker (`?`, `NA`, `NaN`, `null`, `n/a`).
 * `plain` is set to 1 when the cell (after trimming) is digits with an optional single dot
 * between digits: such bytes can be copied to the model input as they are.
 */
export interface NumberSpan {
  plain: number;
  start: number;
  end: number;
  /** The decimal mark the cell is written with: `.` or `,` (as a byte), 0 when none. */
  mark: number;
}

export function parseNumberBytes(
  buf: Buffer,
  start: number,
  end: number,
  decimalComma: boolean,
  out: NumberSpan,
): number {
  while (start < end && (buf[start] === SPACE || buf[start] === TAB)) start++;
  while (end > start && (buf[end - 1] === SPACE || buf[end - 1] === TAB)) end--;
  out.start = start;
  out.end = end;
  out.plain = 0;
  out.mark = 0;
  if (start === end) return MISSING_NUMBER;
  let i = start;
  let mantissa = 0;
  let digits = 0;
  let frac = -1;
  const sep = decimalComma ? COMMA : DOT;
  for (; i < end; i++) {
    const d = buf[i] - ZERO;
    if (d >= 0 && d <= 9) {
      mantissa = mantissa * 10 + d;
      digits++;
      if (frac >= 0) frac++;
    } else if (buf[i] === sep && frac < 0) {
      frac = 0;
    } else break;
  }
  if (i === end && digits > 0 && digits <= MAX_FAST_DIGITS && frac !== 0) {
    // `12.` (frac 0) is a number, but not one to copy through; it takes the slow path.
    out.plain = buf[start] !== sep && !(decimalComma && frac > 0) ? 1 : 0;
    out.mark = frac >= 0 ? sep : 0;
    return frac > 0 ? mantissa / POW10[frac] : mantissa;
  }
  for (let k = start; k < end; k++) {
    if (buf[k] === DOT || buf[k] === COMMA) {
      out.mark = buf[k];
      break;
    }
  }
  return slowNumber(buf.toString('latin1', start, end), decimalComma);
}

const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const DECIMAL_COMMA = /^[+-]?\d+,\d+(?:[eE][+-]?\d+)?$/;
const MISSING = new Set(['?', 'na', 'n/a', 'nan', 'null']);

function slowNumber(text: string, decimalComma: boolean): number {
  if (MISSING.has(text.toLowerCase())) return MISSING_NUMBER;
  if (decimalComma && DECIMAL_COMMA.test(text)) text = text.replace(',', '.');
  if (!NUMBER.test(text)) return NaN;
  const v = Number(text);
  return Number.isFinite(v) ? v : NaN;
}
