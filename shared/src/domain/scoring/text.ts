/**
 * Text preparation for the local scorer. The working copy has exactly the same length as the
 * original note, so every offset found in it is also an offset into the original (evidence
 * spans must point into the note the caller holds).
 */

/** Longest prefix analysed; the contract caps notes at 200k characters anyway. */
export const MAX_ANALYSED_CHARS = 200_000;

export interface PreparedText {
  /** The analysed prefix of the original note. */
  readonly original: string;
  /** Same length as `original`: ASCII lower case, control characters and typographic marks flattened. */
  readonly work: string;
  /** Sorted clause boundary offsets (newline, sentence end, semicolon); always ends with `work.length`. */
  readonly bounds: Int32Array;
  /** True when the note was longer than MAX_ANALYSED_CHARS and only its prefix was read. */
  readonly truncated: boolean;
}

// One-code-unit replacements only, so offsets never move.
const FLATTEN: Record<string, string> = {
  '\u00a0': ' ',
  '\u2010': '-',
  '\u2011': '-',
  '\u2012': '-',
  '\u2013': '-',
  '\u2014': '-',
  '\u2015': '-',
  '\u2018': "'",
  '\u2019': "'",
  '\u201c': '"',
  '\u201d': '"',
  '\u2212': '-',
  '\u00b7': '.',
};

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0009\u000b\u000c\u000e-\u001f\u007f]/g;
const TYPOGRAPHIC = /[\u00a0\u2010-\u2015\u2018\u2019\u201c\u201d\u2212\u00b7]/g;

/** Never throws: anything that is not a string is treated as an empty note. */
export function prepareText(note: unknown): PreparedText {
  const raw = typeof note === 'string' ? note : '';
  const truncated = raw.length > MAX_ANALYSED_CHARS;
  const original = truncated ? raw.slice(0, MAX_ANALYSED_CHARS) : raw;
  let work = original.toLowerCase();
  // toLowerCase can grow a few code points ("İ"); offsets must not move, so fall back to ASCII.
  if (work.length !== original.length) work = original.replace(/[A-Z]+/g, (m) => m.toLowerCase());
  // Control characters (binary garbage, NUL) become spaces; \n and \r are kept for lines.
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0009\u000b\u000c\u000e-\u001f\u007f]/.test(work))
    work = work.replace(CONTROL, ' ');
  if (/[\u00a0\u2010-\u2015\u2018\u2019\u201c\u201d\u2212\u00b7]/.test(work)) {
    work = work.replace(TYPOGRAPHIC, (c) => FLATTEN[c] ?? ' ');
  }
  return { original, work, bounds: clauseBounds(work), truncated };
}

/**
 * Clause boundaries: line breaks, `.`/`!`/`?` followed by white space (so "0.8 cm" stays one
 * clause), and semicolons. Negation and uncertainty never reach across a boundary.
 */
function clauseBounds(work: string): Int32Array {
  const out: number[] = [];
  const re = /[\n\r;]|[.!?](?=\s|$)/g;
  for (let m = re.exec(work); m !== null; m = re.exec(work)) out.push(m.index);
  out.push(work.length);
  return Int32Array.from(out);
}

/** Index of the first boundary >= offset (binary search). */
function firstBoundAtOrAfter(bounds: Int32Array, offset: number): number {
  let lo = 0;
  let hi = bounds.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (bounds[mid] < offset) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The clause [start, end) around a span. */
export function clauseAround(
  text: PreparedText,
  start: number,
  end: number,
): { start: number; end: number } {
  const i = firstBoundAtOrAfter(text.bounds, start);
  // A boundary exactly at `start` (e.g. the span starts with a newline) ends the previous clause.
  const clauseStart = i > 0 ? text.bounds[i - 1] + 1 : 0;
  const j = firstBoundAtOrAfter(text.bounds, Math.max(end, start + 1));
  return { start: Math.min(clauseStart, start), end: text.bounds[j] };
}
