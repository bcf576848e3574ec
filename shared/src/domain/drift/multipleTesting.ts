/**
 * Holm's step-down adjustment. Testing 31 features at 5% each would flag at least one on
 * most windows with no drift at all; the adjusted p-values keep the chance of any false flag
 * at or below alpha. Unlike Benjamini–Hochberg it needs no assumption about how the tests
 * depend on each other — radius, perimeter and area are almost the same measurement — and
 * it rejects everything Bonferroni does, and sometimes more.
 *
 * NaN p-values (untested features) stay NaN and do not count towards the family size.
 */
export function holmAdjust(pValues: readonly number[]): number[] {
  const tested = pValues.map((p, i) => ({ p, i })).filter((x) => Number.isFinite(x.p));
  tested.sort((a, b) => a.p - b.p);
  const d = tested.length;
  const out = pValues.map(() => Number.NaN);
  let running = 0;
  tested.forEach(({ p, i }, rank) => {
    running = Math.max(running, Math.min(1, (d - rank) * p));
    out[i] = running;
  });
  return out;
}

/** Bonferroni: p·d, capped at 1 (reported for comparison; Holm decides). */
export function bonferroniAdjust(pValues: readonly number[]): number[] {
  const d = pValues.filter((p) => Number.isFinite(p)).length;
  return pValues.map((p) => (Number.isFinite(p) ? Math.min(1, p * d) : Number.NaN));
}
