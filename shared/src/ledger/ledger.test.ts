import { clock } from '../testing/clock.ts';
import { MemoryObjectStore } from '../testing/memoryObjectStore.ts';
import { SERVING_KEY, createLedger } from './ledger.ts';

const arn = (v: number) =>
  `arn:aws:sagemaker:us-east-1:123456789012:model-package/cancer-prediction/${v}`;

describe('Function: createLedger', () => {
  it('answers which model served at any time, and why', async () => {
    // Prepare
    const objects = new MemoryObjectStore();
    const now = clock('2026-01-01T00:00:00Z');
    const ledger = createLedger(objects, now);
    await ledger.append({
      action: 'approved',
      version: 1,
      package_arn: arn(1),
      actor: 'policy',
      reason: 'policy approved v1: ROC AUC 0.99',
    });
    now.advance(60_000);
    await ledger.append({
      action: 'promoted',
      version: 1,
      package_arn: arn(1),
      actor: 'deployer',
      reason: 'policy approved v1',
      serving: 1,
      serving_package_arn: arn(1),
    });
    now.set('2026-01-02T00:00:00Z');
    await ledger.append({
      action: 'approved',
      version: 2,
      package_arn: arn(2),
      actor: 'operator:ana',
      reason: 'approved by ana',
    });
    await ledger.append({
      action: 'promoted',
      version: 2,
      package_arn: arn(2),
      actor: 'deployer',
      reason: 'approved by ana',
      serving: 2,
      serving_package_arn: arn(2),
    });
    now.set('2026-01-03T00:00:00Z');
    await ledger.append({
      action: 'rolled-back',
      version: 2,
      package_arn: arn(2),
      actor: 'operator:ana',
      reason: 'rolled back: false negatives',
      serving: 1,
      serving_package_arn: arn(1),
    });

    // Act
    const before = await ledger.servedAt(new Date('2025-12-31T00:00:00Z'));
    const first = await ledger.servedAt(new Date('2026-01-01T12:00:00Z'));
    const second = await ledger.servedAt(new Date('2026-01-02T12:00:00Z'));
    const after = await ledger.serving();

    // Assess
    expect(before).toBeNull();
    expect(first).toEqual({
      version: 1,
      package_arn: arn(1),
      since: '2026-01-01T00:01:00.000Z',
      reason: 'policy approved v1',
      approval: {
        at: '2026-01-01T00:00:00.000Z',
        actor: 'policy',
        reason: 'policy approved v1: ROC AUC 0.99',
      },
    });
    expect(second).toMatchObject({ version: 2, approval: { actor: 'operator:ana' } });
    expect(after).toMatchObject({
      version: 1,
      since: '2026-01-03T00:00:00.000Z',
      reason: 'rolled back: false negatives',
    });
    expect(objects.json('artifacts', SERVING_KEY)).toMatchObject({
      version: 1,
      package_arn: arn(1),
    });
  });

  it('appends nothing twice for the same dedupe key', async () => {
    // Prepare
    const ledger = createLedger(new MemoryObjectStore(), clock());
    const entry = {
      action: 'rejected' as const,
      version: 3,
      package_arn: arn(3),
      actor: 'policy',
      reason: 'policy rejected v3',
    };

    // Act
    const first = await ledger.append(entry, 'decision-v3');
    const again = await ledger.append(entry, 'decision-v3');

    // Assess
    expect([first, again]).toEqual([true, false]);
    expect(await ledger.entries()).toHaveLength(1);
  });

  it('keeps entries in time order, whatever their keys', async () => {
    // Prepare
    const now = clock('2026-01-01T00:00:00Z');
    const ledger = createLedger(new MemoryObjectStore(), now);
    await ledger.append(
      { action: 'approved', version: 1, package_arn: arn(1), actor: 'policy', reason: 'a' },
      'zzz',
    );
    now.advance(1000);
    await ledger.append(
      { action: 'rejected', version: 2, package_arn: arn(2), actor: 'policy', reason: 'b' },
      'aaa',
    );

    // Act
    const entries = await ledger.entries();

    // Assess
    expect(entries.map((e) => e.reason)).toEqual(['a', 'b']);
  });
});
