/**
 * The approval policy, pure: a challenger is approved when, on its validation set, its ROC
 * AUC and its sensitivity at the chosen operating threshold reach the configured floors, and
 * its AUC is no worse than the champion's on the same validation set by more than the allowed
 * drop. The result carries every check, so the approval description says exactly why.
 */

export interface ApprovalThresholds {
  minAuc: number;
  minSensitivity: number;
  maxAucDrop: number;
  /**
   * Fewest validation cases of each class the judgement needs: a sensitivity measured on four
   * malignant cases is 1.0 or 0.75 by chance, not evidence. 0 turns the check off.
   */
  minValidationPerClass?: number;
}

export interface CandidateMetrics {
  version: number;
  /** null/undefined when it could not be computed (e.g. one class in validation). */
  rocAuc: number | null | undefined;
  sensitivity: number | null | undefined;
  threshold: number | null | undefined;
  validationRows?: number;
  validationPositives?: number;
}

export type ChampionComparison =
  /** No model has served yet: nothing to compare with. */
  | { kind: 'none' }
  /** The champion scored on the challenger's validation set. */
  | { kind: 'scored'; version: number; rocAuc: number }
  /** The champion exists but could not be scored there (e.g. a different feature list). */
  | { kind: 'unavailable'; version: number; reason: string };

export interface PolicyCheck {
  name: 'evidence' | 'roc_auc' | 'sensitivity' | 'champion';
  passed: boolean;
  detail: string;
}

export interface PolicyDecision {
  decision: 'Approved' | 'Rejected';
  checks: PolicyCheck[];
  /** One line for the registry's ApprovalDescription (at most 1024 characters). */
  description: string;
}

const f4 = (x: number) => x.toFixed(4);
const finite = (x: number | null | undefined): x is number =>
  typeof x === 'number' && Number.isFinite(x);

export function evaluatePolicy(
  candidate: CandidateMetrics,
  champion: ChampionComparison,
  t: ApprovalThresholds,
): PolicyDecision {
  const checks: PolicyCheck[] = [];

  const minPerClass = t.minValidationPerClass ?? 0;
  if (
    minPerClass > 0 &&
    finite(candidate.validationRows) &&
    finite(candidate.validationPositives)
  ) {
    const pos = candidate.validationPositives;
    const neg = candidate.validationRows - pos;
    const ok = pos >= minPerClass && neg >= minPerClass;
    checks.push({
      name: 'evidence',
      passed: ok,
      detail: ok
        ? `validation set ${pos} malignant, ${neg} benign`
        : `validation set has ${pos} malignant and ${neg} benign cases, fewer than the ${minPerClass} of each needed`,
    });
  }

  if (!finite(candidate.rocAuc)) {
    checks.push({ name: 'roc_auc', passed: false, detail: 'ROC AUC unavailable on validation' });
  } else {
    const ok = candidate.rocAuc >= t.minAuc;
    checks.push({
      name: 'roc_auc',
      passed: ok,
      detail: `ROC AUC ${f4(candidate.rocAuc)} ${ok ? '>=' : '<'} ${t.minAuc}`,
    });
  }

  const at = finite(candidate.threshold) ? ` at threshold ${f4(candidate.threshold)}` : '';
  if (!finite(candidate.sensitivity)) {
    checks.push({
      name: 'sensitivity',
      passed: false,
      detail: 'sensitivity unavailable on validation',
    });
  } else {
    const ok = candidate.sensitivity >= t.minSensitivity;
    checks.push({
      name: 'sensitivity',
      passed: ok,
      detail: `sensitivity ${f4(candidate.sensitivity)} ${ok ? '>=' : '<'} ${t.minSensitivity}${at}`,
    });
  }

  if (champion.kind === 'scored') {
    if (!finite(candidate.rocAuc)) {
      checks.push({
        name: 'champion',
        passed: false,
        detail: `cannot compare with champion v${champion.version}`,
      });
    } else {
      const drop = champion.rocAuc - candidate.rocAuc;
      // A tiny epsilon so that a drop of exactly the allowance, computed in floating point, passes.
      const ok = drop <= t.maxAucDrop + 1e-12;
      checks.push({
        name: 'champion',
        passed: ok,
        detail: `AUC ${f4(candidate.rocAuc)} vs champion v${champion.version} ${f4(champion.rocAuc)} on the same validation set (drop ${f4(drop)} ${ok ? '<=' : '>'} ${t.maxAucDrop})`,
      });
    }
  } else if (champion.kind === 'unavailable') {
    // Not a failure: after a feature-set change no champion can be scored on the new data,
    // and refusing every challenger then would freeze the old model forever.
    checks.push({
      name: 'champion',
      passed: true,
      detail: `champion v${champion.version} not compared: ${champion.reason}`,
    });
  } else {
    checks.push({ name: 'champion', passed: true, detail: 'no champion yet' });
  }

  const failed = checks.filter((c) => !c.passed);
  const decision = failed.length === 0 ? 'Approved' : 'Rejected';
  const shown = decision === 'Approved' ? checks : [...failed, ...checks.filter((c) => c.passed)];
  const description =
    `policy ${decision === 'Approved' ? 'approved' : 'rejected'} v${candidate.version}: ${shown.map((c) => c.detail).join('; ')}`.slice(
      0,
      1024,
    );
  return { decision, checks, description };
}
