/**
 * Copies `src[start, end)` to `dst` at `at`; returns the bytes copied. Buffer#copy makes a
 * view object per call, which dominates for the short spans of a batch's hot loops (record
 * ids, answer lines: ~60 ns a call, plus the garbage); a plain loop copies a few dozen bytes
 * several times faster. Longer spans still go through the native copy.
 */
export function copySpan(
  src: Uint8Array,
  start: number,
  end: number,
  dst: Uint8Array,
  at: number,
): number {
  const n = end - start;
  if (n > 48) {
    dst.set(src.subarray(start, end), at);
    return n;
  }
  for (let i = start; i < end; i++) dst[at++] = src[i];
  return n;
}
