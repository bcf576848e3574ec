import { evaluatePolicy, type ApprovalThresholds } from './approvalPolicy.ts';

const T: ApprovalThresholds = { minAuc: 0.97, minSensitivity: 0.95, maxAucDrop: 0.005 };
const candidate = (rocAuc: number | null, sensitivity: number | null = 0.97) => ({
  version: 4,
  rocAuc,
  sensitivity,
  threshold: 0.31,
});

describe('Function: evaluatePolicy', () => {
  it('approves a candidate above both floors with no champion, saying so', () => {
    // Act
    const d = evaluatePolicy(candidate(0.991), { kind: 'none' }, T);

    // Assess
    expect(d.decision).toBe('Approved');
    expect(d.description).toBe(
      'policy approved v4: ROC AUC 0.9910 >= 0.97; sensitivity 0.9700 >= 0.95 at threshold 0.3100; no champion yet',
    );
  });

  it.each([
    ['AUC below the floor', candidate(0.969), /ROC AUC 0.9690 < 0.97/],
    [
      'sensitivity below the floor',
      candidate(0.99, 0.94),
      /sensitivity 0.9400 < 0.95 at threshold 0.3100/,
    ],
    ['no AUC (one class in validation)', candidate(null), /ROC AUC unavailable/],
    ['no sensitivity', candidate(0.99, null), /sensitivity unavailable/],
  ])('rejects %s, failing checks first', (_name, c, reason) => {
    // Act
    const d = evaluatePolicy(c, { kind: 'none' }, T);

    // Assess
    expect(d.decision).toBe('Rejected');
    expect(d.description).toMatch(/^policy rejected v4: /);
    expect(d.description.split(': ').slice(1).join(': ')).toMatch(reason);
  });

  it('accepts exactly the floors', () => {
    expect(evaluatePolicy(candidate(0.97, 0.95), { kind: 'none' }, T).decision).toBe('Approved');
  });

  it('allows a drop against the champion up to the allowance, and no more', () => {
    // Act
    const within = evaluatePolicy(
      candidate(0.985),
      { kind: 'scored', version: 3, rocAuc: 0.99 },
      T,
    );
    const beyond = evaluatePolicy(
      candidate(0.984),
      { kind: 'scored', version: 3, rocAuc: 0.99 },
      T,
    );

    // Assess
    expect(within.decision).toBe('Approved');
    expect(beyond.decision).toBe('Rejected');
    expect(beyond.description).toMatch(
      /AUC 0.9840 vs champion v3 0.9900 on the same validation set \(drop 0.0060 > 0.005\)/,
    );
  });

  it('does not block a candidate when the champion cannot be scored on its data, and says why', () => {
    // Act
    const d = evaluatePolicy(
      candidate(0.99),
      { kind: 'unavailable', version: 3, reason: 'different feature list' },
      T,
    );

    // Assess
    expect(d.decision).toBe('Approved');
    expect(d.description).toMatch(/champion v3 not compared: different feature list/);
  });

  it('uses the configured thresholds', () => {
    // Act
    const d = evaluatePolicy(
      candidate(0.9, 0.9),
      { kind: 'none' },
      { minAuc: 0.85, minSensitivity: 0.85, maxAucDrop: 0 },
    );

    // Assess
    expect(d.decision).toBe('Approved');
  });

  it('rejects a candidate whose validation set is too small to judge, however good it looks', () => {
    // Prepare: 10 validation rows, 4 of them malignant: a perfect score there says little.
    const small = { ...candidate(1, 1), validationRows: 10, validationPositives: 4 };

    // Act
    const d = evaluatePolicy(small, { kind: 'none' }, { ...T, minValidationPerClass: 20 });

    // Assess
    expect(d.decision).toBe('Rejected');
    expect(d.description).toMatch(
      /^policy rejected v4: validation set has 4 malignant and 6 benign cases, fewer than the 20 of each needed/,
    );
  });

  it('accepts a validation set with enough cases of each class', () => {
    // Act
    const d = evaluatePolicy(
      { ...candidate(0.99), validationRows: 114, validationPositives: 42 },
      { kind: 'none' },
      { ...T, minValidationPerClass: 20 },
    );

    // Assess
    expect(d.decision).toBe('Approved');
    expect(d.description).toMatch(/validation set 42 malignant, 72 benign/);
  });
});
