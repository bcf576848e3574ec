/**
 * The loop closes on its own: a model trained on WDBC serves; traffic like the training data
 * raises no alarm; traffic whose size features are 40% larger is found by the hourly
 * monitor, which leads to DriftDetected -> RetrainingRequested -> a training -> a new
 * version approved and deployed. The test only sends requests and moves the clock of the
 * schedule. A second alarm within the cooldown starts no second training.
 */
import fs from 'node:fs';
import { sendTraffic, trafficSample } from '../src/cli/demo.ts';
import { readStatus } from '../src/cli/status.ts';
import type { LocalRuntime } from '../src/runtime.ts';
import { DEPLOY_TIMEOUT_MS, deployFromHospitalFile } from './deployedModel.ts';
import { eventually, readLines, startTestRuntime, tempStateDir } from './harness.ts';

const HOUR = 3_600_000;

describe('Local mesh: drift -> retraining -> deployment, no human', () => {
  let runtime: LocalRuntime;
  let stateDir: string;
  let clock: number;

  beforeAll(async () => {
    stateDir = tempStateDir('drift');
    runtime = await startTestRuntime('drift', { stateDir });
    clock = Date.now();
  });

  afterAll(async () => {
    await runtime.stop();
    fs.rmSync(stateDir, { recursive: true, force: true });
  });

  const status = () => readStatus(runtime.state);
  const capturedRows = async () => {
    let n = 0;
    for await (const o of runtime.state.objects.list('artifacts', 'capture/'))
      n += (await readLines(runtime, 'artifacts', o.key)).length;
    return n;
  };
  /** Sends the requests and waits until the endpoint's capture has written them all. */
  const traffic = async (records: ReturnType<typeof trafficSample>) => {
    const before = await capturedRows();
    expect(await sendTraffic({ apiUrl: runtime.apiUrl, token: runtime.token }, records)).toBe(
      records.length,
    );
    await eventually('the capture', async () => (await capturedRows()) >= before + records.length);
  };
  /** The next hourly schedule fires: the monitor runs as it would on its own. */
  const nextHour = async () => {
    const previous = (await status()).monitoring.lastRun?.runId;
    clock += HOUR + 60_000;
    await runtime.scheduler.advanceTo(new Date(clock));
    // A schedule invokes its function asynchronously, as EventBridge does.
    return eventually('the monitoring run', async () => {
      const run = (await status()).monitoring.lastRun;
      return run && run.runId !== previous ? run : undefined;
    });
  };
  const trainingJobs = async () => (await runtime.state.state.list('training-jobs')).length;

  it(
    'finds no drift in traffic like the training data, then retrains and deploys on a 40% size shift',
    async () => {
      // Prepare
      const first = await deployFromHospitalFile(runtime);
      const jobsBefore = await trainingJobs();

      // Act 1: an hour of ordinary traffic.
      await traffic(trafficSample(300, 1));
      const quiet = await nextHour();

      // Assess 1
      expect(quiet).toMatchObject({
        samples: 300,
        dataStatus: 'no-drift',
        modelVersion: first.version,
      });
      await runtime.waitUntilIdle(300);
      expect(await trainingJobs()).toBe(jobsBefore);

      // Act 2: an hour of traffic whose radius, perimeter and area are 40% larger.
      await traffic(trafficSample(300, 2, 1.4));
      const drifted = await nextHour();
      const redeployed = await eventually(
        'a new model version serving',
        async () => {
          const d = (await status()).model.deployed;
          return d && d.version !== first.version ? d : undefined;
        },
        DEPLOY_TIMEOUT_MS,
        250,
      );
      await runtime.waitUntilIdle(500);

      // Assess 2: the size features drifted, the alarm was acted on, a new version serves.
      expect(drifted).toMatchObject({ samples: 300, dataStatus: 'drift' });
      expect(drifted.drifted).toBeGreaterThanOrEqual(9);
      const s = await status();
      expect(s.monitoring.lastReaction).toMatchObject({ outcome: 'requested' });
      expect(Number(redeployed.version)).toBeGreaterThan(Number(first.version));
      expect(s.model.packages.find((p) => p.version === redeployed.version)?.status).toBe(
        'Approved',
      );
      const jobs = await runtime.state.state.list<{ reason: string; status: string }>(
        'training-jobs',
      );
      expect(jobs.filter((j) => j.value.reason === 'drift')).toEqual([
        expect.objectContaining({ value: expect.objectContaining({ status: 'Completed' }) }),
      ]);
    },
    2 * DEPLOY_TIMEOUT_MS,
  );

  it('a second drift alarm within the cooldown starts no second training', async () => {
    // Prepare
    const jobsBefore = await trainingJobs();
    const serving = (await status()).model.deployed;

    // Act: another drifted hour, judged against the new model.
    await traffic(trafficSample(300, 3, 1.4));
    const run = await nextHour();
    await runtime.waitUntilIdle(500);

    // Assess
    expect(run).toMatchObject({ dataStatus: 'drift', modelVersion: serving!.version });
    expect((await status()).monitoring.lastReaction).toMatchObject({
      outcome: 'cooldown',
      reason: expect.stringMatching(/cooldown until/),
    });
    expect(await trainingJobs()).toBe(jobsBefore);
    expect((await status()).model.deployed).toEqual(serving);
  }, 60_000);
});
