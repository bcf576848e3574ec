import { createLedger } from '@cancer-mlops/shared/ledger/ledger.ts';
import { JOBS_NS } from '@cancer-mlops/training/src/trainingState.ts';
import {
  FakeEndpoints,
  MemoryObjectStore,
  MemoryRegistry,
  MemoryStateStore,
  RecordingPublisher,
  RecordingQueues,
  clock,
} from '@cancer-mlops/training/test/fakes.ts';
import { UsageError } from './args.ts';
import {
  modelsApprove,
  modelsList,
  modelsReject,
  modelsRollback,
  modelsShow,
  modelsStatus,
  train,
  type ModelsCliDeps,
} from './models.ts';

function setup() {
  const now = clock('2026-01-05T05:00:00.000Z');
  const registry = new MemoryRegistry();
  const objects = new MemoryObjectStore();
  const ledger = createLedger(objects, now);
  const endpoints = new FakeEndpoints(now);
  const deps: ModelsCliDeps = {
    group: 'cancer-prediction',
    registry,
    ledger,
    state: new MemoryStateStore(),
    endpoints,
    queues: new RecordingQueues(),
    events: new RecordingPublisher(),
    actor: 'ana',
    now,
  };
  /** A package that was approved and deployed, as the mesh would have done it. */
  const served = async (auc: number) => {
    const p = await registry.seed({
      metrics: { roc_auc: auc, sensitivity: 0.97, threshold: 0.3 },
      status: 'Approved',
    });
    await endpoints.deploy(p);
    await ledger.append({
      action: 'approved',
      version: p.version,
      package_arn: p.arn,
      actor: 'policy',
      reason: `policy approved v${p.version}`,
    });
    await ledger.append({
      action: 'promoted',
      version: p.version,
      package_arn: p.arn,
      actor: 'deployer',
      reason: `policy approved v${p.version}`,
      serving: p.version,
      serving_package_arn: p.arn,
    });
    now.advance(60_000);
    return p;
  };
  return {
    deps,
    registry,
    ledger,
    endpoints,
    now,
    served,
    queues: deps.queues as RecordingQueues,
    events: deps.events as RecordingPublisher,
    state: deps.state as MemoryStateStore,
  };
}

describe('Function: modelsList', () => {
  it('lists every version with its status and metrics, marking the serving one', async () => {
    // Prepare
    const { deps, registry, served } = setup();
    await served(0.991);
    await registry.seed({ metrics: { roc_auc: 0.95, sensitivity: 0.9, threshold: 0.5 } });

    // Act
    const out = await modelsList(deps);

    // Assess
    expect(out.text.split('\n')[0]).toMatch(
      /^\s+VERSION\s+STATUS\s+ROC AUC\s+SENSITIVITY\s+THRESHOLD\s+DATASET\s+CREATED$/,
    );
    expect(out.text).toMatch(/\n {3}v2 +PendingManualApproval +0\.9500 +0\.9000/);
    expect(out.text).toMatch(/\n\* +v1 +Approved +0\.9910/);
    expect(
      (out.json as { version: number; serving: boolean }[]).map((p) => [p.version, p.serving]),
    ).toEqual([
      [2, false],
      [1, true],
    ]);
  });
});

describe('Function: modelsShow', () => {
  it('prints metrics, lineage, reports and the ledger history of one version', async () => {
    // Prepare
    const { deps, served } = setup();
    await served(0.991);

    // Act
    const out = await modelsShow(deps, '1');

    // Assess
    expect(out.text).toMatch(/^Model v1 {2}Approved {2}\(serving\)/);
    expect(out.text).toMatch(/roc_auc +0\.9910/);
    expect(out.text).toMatch(/dataset +ds-1/);
    expect(out.text).toMatch(/promoted +deployer +policy approved v1/);
    expect(out.json).toMatchObject({ version: 1, serving: true, lineage: { datasetId: 'ds-1' } });
  });

  it('says which model is unknown', async () => {
    const { deps } = setup();
    await expect(modelsShow(deps, '9')).rejects.toThrow(
      new UsageError('no model 9 in the registry (see mlops models list)'),
    );
  });
});

describe('Function: modelsApprove / modelsReject', () => {
  it('approves a pending package in the operator’s name, in the registry and the ledger', async () => {
    // Prepare
    const { deps, registry, ledger } = setup();
    const p = await registry.seed({ metrics: { roc_auc: 0.99 } });

    // Act
    await modelsApprove(deps, 'v1', 'reviewed by the tumour board');

    // Assess
    expect(registry.updates).toEqual([
      {
        arn: p.arn,
        status: 'Approved',
        description: 'approved by ana: reviewed by the tumour board',
      },
    ]);
    expect((await ledger.entries()).at(-1)).toMatchObject({
      action: 'approved',
      actor: 'operator:ana',
    });
  });

  it('overrides the policy’s rejection only with a reason, and says it is an override', async () => {
    // Prepare: v1 as the approval policy leaves a model trained on too few cases.
    const { deps, registry, ledger } = setup();
    const p = await registry.seed({ metrics: { roc_auc: 0.9 }, status: 'Rejected' });

    // Act
    const refused = modelsApprove(deps, 'v1', undefined);
    const out = await modelsApprove(deps, 'v1', 'validated on the 2025 cohort by hand');

    // Assess
    await expect(refused).rejects.toThrow(UsageError);
    await expect(refused).rejects.toThrow(/rejected.*--reason/);
    expect(out.text).toMatch(/overrid/);
    expect((await registry.get(p.arn))!.status).toBe('Approved');
    expect((await ledger.entries()).at(-1)).toMatchObject({
      action: 'approved',
      reason: 'approved by ana over the policy’s rejection: validated on the 2025 cohort by hand',
      details: { previous_status: 'Rejected' },
    });
  });

  it('rejects with a reason, and refuses to reject the serving model', async () => {
    // Prepare
    const { deps, registry, served } = setup();
    const live = await served(0.99);
    const p = await registry.seed({ metrics: { roc_auc: 0.99 } });

    // Act
    await modelsReject(deps, String(p.version), 'trained on the wrong site');

    // Assess
    expect((await registry.get(p.arn))!.status).toBe('Rejected');
    await expect(modelsReject(deps, String(live.version), 'x')).rejects.toThrow(
      /is serving; use mlops models rollback/,
    );
    await expect(modelsReject(deps, String(p.version), undefined)).rejects.toThrow(/say why/);
  });
});

describe('Function: modelsRollback', () => {
  it('puts the previously served model back, rejects the current one and records why', async () => {
    // Prepare
    const { deps, registry, ledger, endpoints, served, events } = setup();
    const v1 = await served(0.99);
    const v2 = await served(0.992);

    // Act
    const out = await modelsRollback(deps, { reason: 'false negatives reported by pathology' });

    // Assess
    expect(out.text).toBe('v1 is serving again; v2 is rejected.');
    expect(endpoints.serving).toMatchObject({ version: 1 });
    expect((await registry.get(v2.arn))!).toMatchObject({
      status: 'Rejected',
      approvalDescription: 'rolled back by ana to v1: false negatives reported by pathology',
    });
    expect(await ledger.serving()).toMatchObject({
      version: 1,
      reason: 'rolled back by ana to v1: false negatives reported by pathology',
    });
    expect(events.ofType('ModelDeployed')[0]).toMatchObject({
      source: 'cancer-mlops.cli',
      detail: { model_version: '1', previous_version: '2', model_package_arn: v1.arn },
    });
  });

  it('needs a reason and an earlier model', async () => {
    // Prepare
    const { deps, served } = setup();
    await served(0.99);

    // Act / Assess
    await expect(modelsRollback(deps, {})).rejects.toThrow(/say why/);
    await expect(modelsRollback(deps, { reason: 'x' })).rejects.toThrow(
      /no earlier model has served/,
    );
  });

  it('leaves everything as it was when the old model does not start', async () => {
    // Prepare
    const { deps, endpoints, served, ledger } = setup();
    await served(0.99);
    await served(0.992);
    endpoints.failNext = 'serve exited (code 3)';
    const before = (await ledger.entries()).length;

    // Act / Assess
    await expect(modelsRollback(deps, { reason: 'x' })).rejects.toThrow(
      /rollback to v1 failed, v2 keeps serving/,
    );
    expect((await ledger.entries()).length).toBe(before);
  });
});

describe('Function: train', () => {
  it('sends a manual training request to training-requests', async () => {
    // Prepare
    const { deps, queues } = setup();

    // Act
    await train(deps, { cutoff: '2026-01-04T00:00:00Z' });

    // Assess
    expect(queues.sent).toEqual([
      {
        queue: 'training-requests',
        message: {
          kind: 'training-request',
          reason: 'manual',
          idempotency_key: 'manual',
          requested_at: '2026-01-05T05:00:00.000Z',
          detail: 'requested by ana',
          cutoff: '2026-01-04T00:00:00.000Z',
        },
      },
    ]);
    await expect(train(deps, { cutoff: 'yesterday' })).rejects.toThrow(/ISO-8601/);
    // A snapshot of the future has nothing more in it, and would stop new-data trainings.
    await expect(train(deps, { cutoff: '2099-01-01T00:00:00Z' })).rejects.toThrow(UsageError);
    expect(queues.sent).toHaveLength(1);
  });
});

describe('Function: modelsStatus', () => {
  it('shows what serves, what waits for a person and which trainings failed and why', async () => {
    // Prepare
    const { deps, registry, state, served } = setup();
    await served(0.99);
    await registry.seed({ metrics: { roc_auc: 0.99 } });
    await state.put(JOBS_NS, 'job-x', {
      job_name: 'job-x',
      status: 'Refused',
      reason: 'new-data',
      idempotency_key: 'new-data',
      dataset_id: 'ds-2',
      cutoff: '2026-01-05T04:00:00.000Z',
      requested_at: '2026-01-05T04:00:00.000Z',
      started_at: '2026-01-05T04:00:00.000Z',
      ended_at: '2026-01-05T04:00:01.000Z',
      failure_reason:
        'dataset refused: every labelled record is benign (B); both classes are needed',
    });

    // Act
    const out = await modelsStatus(deps);

    // Assess
    expect(out.text).toMatch(/^Serving: v1 since 2026-01-05T05:00:00.000Z — policy approved v1/);
    expect(out.text).toMatch(/Waiting for approval:\n {2}v2 /);
    expect(out.text).toMatch(/Failed trainings:\n {2}job-x {2}Refused .*both classes are needed/);
    expect(out.json).toMatchObject({
      serving: { version: 1, running: true },
      pending: [{ version: 2 }],
      trainings: { running: [], failed: [{ job_name: 'job-x' }] },
    });
  });
});
