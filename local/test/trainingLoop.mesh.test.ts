/**
 * The model half of the mesh on the real WDBC file, driven by events alone: features ->
 * training -> registration -> approval -> deployment; then a worse model (trained on a
 * relabelled feed) is rejected while the champion keeps serving; then a training that
 * cannot run changes nothing served and says why.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import { readStatus } from '../src/cli/status.ts';
import { trainCommand } from '../src/cli/modelsCommand.ts';
import type { LocalRuntime } from '../src/runtime.ts';
import { eventually, startTestRuntime, tempStateDir } from './harness.ts';
import { DEPLOY_TIMEOUT_MS, deployFromHospitalFile } from './deployedModel.ts';
import { cell, readHospitalFile, toCsv } from './hospitalFile.ts';

describe('Local mesh: the training loop (WDBC)', () => {
  let runtime: LocalRuntime;
  let stateDir: string;

  beforeAll(async () => {
    stateDir = tempStateDir('training');
    runtime = await startTestRuntime('training', { stateDir });
  });

  afterAll(async () => {
    await runtime.stop();
    fs.rmSync(stateDir, { recursive: true, force: true });
  });

  const status = () => readStatus(runtime.state);
  const predict = async () => {
    const { header, rows } = readHospitalFile();
    const body = Object.fromEntries(
      header
        .filter((h) => !['record_id', 'patient_id', 'event_time', 'diagnosis'].includes(h))
        .map((h) => [
          h,
          h === 'pathology_note'
            ? cell({ header, rows }, rows[0], h)
            : Number(cell({ header, rows }, rows[0], h)),
        ]),
    );
    const res = await fetch(`${runtime.apiUrl}/predict`, {
      method: 'POST',
      headers: { authorization: `Bearer ${runtime.token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, json: (await res.json()) as { model?: { version: number } } };
  };

  it(
    'trains, registers, approves and deploys a model from the hospital file, with no call but the drop',
    async () => {
      // Act
      const deployed = await deployFromHospitalFile(runtime);

      // Assess: the serving model answers /ping itself, and /predict answers with it.
      const endpoint = await runtime.endpoints.current();
      expect(endpoint?.version).toBe(Number(deployed.version));
      expect(endpoint?.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect((await fetch(`${endpoint!.url}/ping`)).status).toBe(200);
      const answer = await predict();
      expect(answer.status).toBe(200);
      expect(String(answer.json.model?.version)).toBe(deployed.version);

      // Every package on the way was decided by the policy, with its reason.
      const s = await status();
      const approved = s.model.packages.find((p) => p.version === deployed.version)!;
      expect(approved.status).toBe('Approved');
      expect(approved.auc).toBeGreaterThanOrEqual(0.97);
      expect(approved.reason).toMatch(/^policy approved/);
      for (const p of s.model.packages) expect(p.status).not.toBe('PendingManualApproval');
    },
    DEPLOY_TIMEOUT_MS + 30_000,
  );

  it(
    'rejects a worse model trained on a relabelled feed, and the champion keeps serving',
    async () => {
      // Prepare: the same records sent again later, 40% of them with the diagnosis flipped, as
      // a broken labelling feed would; the newest version of each record wins in the snapshot.
      const before = (await status()).model;
      const table = readHospitalFile();
      const col = (n: string) => table.header.indexOf(n);
      table.rows = table.rows.map((r, i) => {
        const row = [...r];
        row[col('event_time')] = '2026-11-30T08:00:00Z';
        if (i % 5 < 2) row[col('diagnosis')] = r[col('diagnosis')] === 'M' ? 'B' : 'M';
        return row;
      });

      // Act: the new-data threshold starts the training; nobody asks for it.
      await runtime.state.objects.put('raw', 'incoming/relabelled.csv', toCsv(table));
      const rejected = await eventually(
        'a rejected package',
        async () =>
          (await status()).model.packages.find(
            (p) => Number(p.version) > before.packages.length && p.status === 'Rejected',
          ),
        DEPLOY_TIMEOUT_MS,
        250,
      );
      await runtime.waitUntilIdle(500);

      // Assess
      expect(rejected.reason).toMatch(/^policy rejected v\d+: .*ROC AUC 0\.\d+ < 0\.97/);
      const after = (await status()).model;
      expect(after.deployed).toEqual(before.deployed);
      const endpoint = await runtime.endpoints.current();
      expect((await fetch(`${endpoint!.url}/ping`)).status).toBe(200);
      expect(String((await predict()).json.model?.version)).toBe(before.deployed!.version);
    },
    DEPLOY_TIMEOUT_MS + 30_000,
  );

  it('a training that cannot run changes nothing served and says why where a person looks', async () => {
    // Prepare
    const before = (await status()).model;
    const out: string[] = [];
    const ctx = { runtime, out: (l = '') => out.push(l) };

    // Act: a snapshot from before any record existed: an empty dataset.
    await trainCommand(ctx, ['--cutoff', '2001-01-01T00:00:00Z']);
    await eventually(
      'the refused training',
      async () => {
        const jobs = await runtime.state.state.list<{ status: string }>('training-jobs');
        return jobs.some((j) => j.value.status === 'Refused');
      },
      30_000,
    );
    await runtime.waitUntilIdle(500);

    // Assess: no package, same model; `mlops models` shows the reason.
    const after = (await status()).model;
    expect(after.packages).toEqual(before.packages);
    expect(after.deployed).toEqual(before.deployed);
    const { modelsCommand } = await import('../src/cli/modelsCommand.ts');
    out.length = 0;
    await modelsCommand(ctx, ['status']);
    expect(out.join('\n')).toMatch(/Refused.*(no labelled|empty|rows)/is);
  }, 60_000);

  it('a start on a busy port fails before the model server is restored, leaving no process behind', async () => {
    // Prepare: the state folder has a deployed model; someone else holds the port.
    await runtime.stop();
    const squatter = net.createServer();
    await new Promise<void>((r) => squatter.listen(0, '127.0.0.1', r));
    const { port } = squatter.address() as net.AddressInfo;
    const children = () =>
      execFileSync('ps', ['-o', 'pid=', '--ppid', String(process.pid)], { encoding: 'utf8' })
        .split('\n')
        .filter((l) => l.trim() !== '').length;
    const before = children();
    try {
      // Act
      const failed = startTestRuntime('training', { stateDir, port });

      // Assess
      await expect(failed).rejects.toMatchObject({ code: 'EADDRINUSE' });
      expect(children()).toBeLessThanOrEqual(before + 1); // + the `ps` itself
    } finally {
      squatter.close();
      runtime = await startTestRuntime('training', { stateDir });
    }
    expect((await runtime.endpoints.current())?.url).toMatch(/^http:/);
  }, 60_000);
});
