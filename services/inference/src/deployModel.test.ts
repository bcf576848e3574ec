import { MemoryMetrics } from '@cancer-mlops/shared/testing/memoryMetrics.ts';
import { setLogSink } from '@cancer-mlops/shared/runtime/logger.ts';
import { lambdaContext, modelPackageStateChange } from '@cancer-mlops/shared/testing/factories.ts';
import { createLedger } from '@cancer-mlops/shared/ledger/ledger.ts';
import {
  FakeEndpoints,
  MemoryObjectStore,
  MemoryRegistry,
  RecordingPublisher,
  clock,
} from '@cancer-mlops/training/test/fakes.ts';
import { createHandler } from './handlers/deployModel.ts';
import type { DeployModelDeps } from './deployModel.ts';

async function setup() {
  const now = clock('2026-01-05T04:00:00.000Z');
  const registry = new MemoryRegistry();
  const endpoints = new FakeEndpoints(now);
  const objects = new MemoryObjectStore();
  const ledger = createLedger(objects, now);
  const events = new RecordingPublisher();
  const metrics = new MemoryMetrics();
  const deps: DeployModelDeps = { registry, endpoints, ledger, events, metrics };
  const handler = createHandler(async () => deps);
  const approved = async () => {
    const pkg = await registry.seed({ metrics: { roc_auc: 0.99 } });
    await registry.updateApproval(
      pkg.arn,
      'Approved',
      `policy approved v${pkg.version}: ROC AUC 0.9900 >= 0.97`,
    );
    return (await registry.get(pkg.arn))!;
  };
  const eventFor = (pkg: { arn: string; version: number }) =>
    modelPackageStateChange({
      group: 'cancer-prediction',
      version: pkg.version,
      arn: pkg.arn,
      status: 'Approved',
    });
  return { handler, registry, endpoints, ledger, events, approved, eventFor, objects, metrics };
}

describe('Handler: inference.deployModel', () => {
  beforeAll(() => setLogSink(() => undefined));
  afterAll(() => setLogSink(undefined));

  it('deploys an approved package, records the promotion and emits ModelDeployed', async () => {
    // Prepare
    const { handler, endpoints, ledger, events, approved, eventFor, metrics } = await setup();
    const v1 = await approved();

    // Act
    const out = await handler(eventFor(v1), lambdaContext());

    // Assess
    expect(out).toEqual({ outcome: 'deployed', version: 1, previous: null });
    expect(metrics.counts).toEqual({ 'Deployments{outcome=deployed}': 1 });
    expect(endpoints.serving).toMatchObject({ version: 1, packageArn: v1.arn });
    expect(await ledger.serving()).toMatchObject({
      version: 1,
      package_arn: v1.arn,
      reason: 'policy approved v1: ROC AUC 0.9900 >= 0.97',
    });
    expect(events.events).toEqual([
      {
        source: 'cancer-mlops.inference',
        'detail-type': 'ModelDeployed',
        detail: {
          model_version: '1',
          model_package_arn: v1.arn,
          endpoint: 'cancer-mlops-test-endpoint',
          previous_version: null,
          deployed_at: '2026-01-05T04:00:00.000Z',
        },
      },
    ]);
  });

  it('fails a deployment still in progress at its deadline, so it is retried, and records it once it serves', async () => {
    // Prepare: a blue/green update that outlasts the function's wait (baking, provisioning).
    const { handler, endpoints, ledger, events, approved, eventFor } = await setup();
    const v1 = await approved();
    endpoints.slowNext = true;

    // Act: the first attempt runs out of time; Lambda's asynchronous retry comes back later.
    const first = handler(eventFor(v1), lambdaContext());
    await expect(first).rejects.toThrow(/v1 is still being deployed/);
    const recordedMeanwhile = await ledger.serving();
    endpoints.completePending();
    const second = await handler(eventFor(v1), lambdaContext());

    // Assess
    expect(recordedMeanwhile).toBeNull();
    expect(second).toEqual({ outcome: 'deployed', version: 1, previous: null });
    expect(endpoints.deployed).toHaveLength(1);
    expect(await ledger.serving()).toMatchObject({ version: 1, package_arn: v1.arn });
    expect(events.events.map((e) => [e['detail-type'], e.detail])).toEqual([
      ['ModelDeployed', expect.objectContaining({ model_version: '1', previous_version: null })],
    ]);
  });

  it('replaces the serving model and names the previous one', async () => {
    // Prepare
    const { handler, approved, eventFor, events } = await setup();
    await handler(eventFor(await approved()), lambdaContext());

    // Act
    const out = await handler(eventFor(await approved()), lambdaContext());

    // Assess
    expect(out).toEqual({ outcome: 'deployed', version: 2, previous: 1 });
    expect(events.events.at(-1)!.detail).toMatchObject({
      model_version: '2',
      previous_version: '1',
    });
  });

  it('keeps the old model serving when the new one fails its health check, and records the rollback', async () => {
    // Prepare
    const { handler, endpoints, ledger, events, approved, eventFor } = await setup();
    await handler(eventFor(await approved()), lambdaContext());
    endpoints.failNext = 'v2 never answered /ping within 60 s';
    const v2 = await approved();

    // Act
    const out = await handler(eventFor(v2), lambdaContext());

    // Assess
    expect(out).toEqual({
      outcome: 'rolled-back',
      version: 2,
      serving: 1,
      reason: 'v2 never answered /ping within 60 s',
    });
    expect(endpoints.serving).toMatchObject({ version: 1 });
    expect(events.ofType('ModelDeployed')).toHaveLength(1);
    const last = (await ledger.entries()).at(-1)!;
    expect(last).toMatchObject({
      action: 'rolled-back',
      version: 2,
      serving: 1,
      reason: 'deployment of v2 failed, v1 keeps serving: v2 never answered /ping within 60 s',
    });
    expect(await ledger.serving()).toMatchObject({ version: 1 });
  });

  it('does nothing for a package rejected since the event was sent', async () => {
    // Prepare
    const { handler, registry, endpoints, approved, eventFor } = await setup();
    const v1 = await approved();
    await registry.updateApproval(v1.arn, 'Rejected', 'rolled back by operator');

    // Act
    const out = await handler(eventFor(v1), lambdaContext());

    // Assess
    expect(out).toEqual({ outcome: 'ignored', reason: 'package v1 is Rejected' });
    expect(endpoints.deployed).toHaveLength(0);
  });

  it('deploys once when SageMaker repeats the event', async () => {
    // Prepare
    const { handler, endpoints, ledger, approved, eventFor } = await setup();
    const v1 = await approved();
    await handler(eventFor(v1), lambdaContext());

    // Act
    const out = await handler(eventFor(v1), lambdaContext());

    // Assess
    expect(out).toEqual({ outcome: 'already-serving', version: 1 });
    expect(endpoints.deployed).toHaveLength(1);
    expect((await ledger.entries()).filter((e) => e.action === 'promoted')).toHaveLength(1);
  });

  it('rejects a package the registry does not know (retried, then the on-failure destination)', async () => {
    // Prepare
    const { handler } = await setup();
    const event = modelPackageStateChange({
      group: 'cancer-prediction',
      version: 9,
      status: 'Approved',
    });

    // Act
    const act = handler(event, lambdaContext());

    // Assess
    await expect(act).rejects.toThrow(/unknown model package .*cancer-prediction\/9/);
  });
});
