/**
 * The main job as a new user runs it: `mlops start` on an empty state folder (what `npm start`
 * runs) seeds the shipped hospital file, and the whole mesh works until a model serves; the
 * curl example it prints answers; `mlops batch` scores a file; `mlops status --json` tells
 * the story; Ctrl-C stops it cleanly. Everything through the CLI, in child processes.
 */
import { execFile, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { WDBC_FEATURES } from '@cancer-mlops/shared/contracts/featureGroup.ts';
import { REPO_ROOT } from '../src/runtime.ts';
import { eventually, tempStateDir } from './harness.ts';
import { cell, readHospitalFile, toCsv } from './hospitalFile.ts';

const run = promisify(execFile);
const CLI = path.join(REPO_ROOT, 'local', 'bin', 'mlops.js');
const FIVE_MINUTES = 300_000;

describe('The main job, end to end through the CLI (issue: main job)', () => {
  let stateDir: string;
  let runtime: ChildProcessWithoutNullStreams;
  let output = '';

  const mlops = async (...argv: string[]) =>
    (await run(process.execPath, [CLI, ...argv, '--state', stateDir], { cwd: REPO_ROOT })).stdout;

  beforeAll(() => {
    stateDir = tempStateDir('main');
  });

  afterAll(() => {
    if (runtime && runtime.exitCode === null) runtime.kill('SIGKILL');
    fs.rmSync(stateDir, { recursive: true, force: true });
  });

  it(
    'from an empty state folder to a served model, a curl answer and a batch output',
    async () => {
      const started = Date.now();
      // Act: start, as `npm start` does, on a free port.
      runtime = spawn(process.execPath, [CLI, 'start', '--state', stateDir, '--port', '0'], {
        cwd: REPO_ROOT,
      });
      runtime.stdout.on('data', (b: Buffer) => (output += b.toString('utf8')));
      runtime.stderr.on('data', (b: Buffer) => (output += b.toString('utf8')));
      const curl = await eventually(
        'the curl example',
        () => /^\s+(curl -s -X POST .*)$/m.exec(output)?.[1],
        FIVE_MINUTES,
        250,
      );

      // Assess: the user saw the stages move, and the seeded file went all the way.
      expect(output).toContain('(new state folder)');
      expect(output).toMatch(/seeded\s+raw\/incoming\/hospital-demo\.csv/);
      expect(output).toMatch(/features\s+569\/569 written/);
      expect(output).toMatch(/registry\s+v\d+ Approved/);
      expect(output).toMatch(
        /A model is serving\. The API: http:\/\/127\.0\.0\.1:\d+ {3}token: \S+/,
      );

      // The printed curl example, run as printed, answers with a prediction.
      const answer = JSON.parse((await run('sh', ['-c', curl], { cwd: REPO_ROOT })).stdout) as {
        prediction: string;
        probability_malignant: number;
        model: { version: number };
        risk_score: { source: string };
      };
      expect(['malignant', 'benign']).toContain(answer.prediction);
      expect(answer.probability_malignant).toBeGreaterThanOrEqual(0);
      expect(answer.risk_score.source).toBe('note');

      // `mlops predict` gets the same kind of answer through the running API.
      const flags = WDBC_FEATURES.flatMap((f, i) => [
        `--${f}`,
        String(
          [
            17.99, 10.38, 122.8, 1001, 0.1184, 0.2776, 0.3001, 0.1471, 0.2419, 0.07871, 1.095,
            0.9053, 8.589, 153.4, 0.006399, 0.04904, 0.05373, 0.01587, 0.03003, 0.006193, 25.38,
            17.33, 184.6, 2019, 0.1622, 0.6656, 0.7119, 0.2654, 0.4601, 0.1189,
          ][i],
        ),
      ]);
      expect(await mlops('predict', ...flags, '--score', '8')).toMatch(
        /^MALIGNANT {2}p\(malignant\) = /,
      );

      // `mlops batch FILE`: a nightly dump without labels comes back scored, in order.
      const table = readHospitalFile();
      const dump = {
        header: table.header.filter((h) => h !== 'diagnosis'),
        rows: table.rows
          .slice(0, 40)
          .map((r) => r.filter((_, i) => table.header[i] !== 'diagnosis')),
      };
      const file = path.join(stateDir, 'nightly.csv');
      fs.writeFileSync(file, toCsv(dump));
      expect(await mlops('batch', file)).toMatch(/batch-in\/nightly\.csv/);
      const out = path.join(stateDir, 'buckets', 'batch-out', 'nightly.out');
      await eventually(
        'the batch output',
        () => fs.existsSync(out.replace(/\.out$/, '.summary.json')),
        60_000,
      );
      const lines = fs.readFileSync(out, 'utf8').trim().split('\n');
      expect(lines).toHaveLength(41);
      expect(lines.slice(1).map((l) => l.split(',')[0])).toEqual(
        table.rows.slice(0, 40).map((r) => cell(table, r, 'record_id')),
      );

      // `mlops status --json` tells the same story.
      const status = JSON.parse(await mlops('status', '--json')) as {
        stages: { ingest: { rows: number; accepted: number }; features: { written: number } };
        model: { deployed: { version: string } | null };
      };
      expect(status.stages.ingest).toMatchObject({ rows: 569, accepted: 569 });
      expect(status.stages.features.written).toBe(569);
      expect(status.model.deployed?.version).toBe(String(answer.model.version));

      // Ctrl-C stops it cleanly.
      const exited = new Promise<number | null>((r) => runtime.once('exit', (code) => r(code)));
      runtime.kill('SIGINT');
      expect(await exited).toBe(0);
      expect(Date.now() - started).toBeLessThan(FIVE_MINUTES);
    },
    FIVE_MINUTES + 60_000,
  );

  it('a runtime killed with -9 leaves no model server running', async () => {
    // Prepare: the state folder of the first test, with its deployed model.
    let log = '';
    const again = spawn(process.execPath, [CLI, 'start', '--state', stateDir, '--port', '0'], {
      cwd: REPO_ROOT,
    });
    again.stdout.on('data', (b: Buffer) => (log += b.toString('utf8')));
    await eventually('the restart', () => log.includes('A model is serving'), 60_000);
    const children = (pid: number) =>
      run('ps', ['-o', 'pid=', '--ppid', String(pid)]).then(
        (r) =>
          r.stdout
            .split('\n')
            .filter((l) => l.trim() !== '')
            .map(Number),
        () => [] as number[],
      );
    const servers = await children(again.pid!);
    expect(servers.length).toBeGreaterThan(0);

    // Act
    again.kill('SIGKILL');

    // Assess
    const alive = (pid: number) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    await eventually('the model servers to stop', () => servers.every((p) => !alive(p)), 10_000);
  }, 90_000);
});
