/**
 * Container contract: `train` then `serve` over a temporary SageMaker folder with WDBC, the
 * way SageMaker (and the local runtime) drive the image.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stop as stopEsbuild } from 'esbuild';
import { WDBC_FEATURES } from '@cancer-mlops/shared/contracts/featureGroup.ts';
import { loadModel } from '@cancer-mlops/shared/domain/model/loaded.ts';
import { bundleContainer } from './bundle.ts';
import type { RunningServer } from './serve.ts';
import { MAX_BODY_BYTES, startServer } from './serve.ts';
import { trainFromDirectory } from './train.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const HEADER = ['record_id', 'diagnosis', ...WDBC_FEATURES, 'malignancy_risk_score'];
const FEATURES = [...WDBC_FEATURES, 'malignancy_risk_score'];

// Response bodies are checked field by field below.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;
const json = async (res: Response): Promise<Json> => res.json();

/** WDBC rows with a synthetic (seeded, noisy) note score appended. */
function wdbcRows(): string[][] {
  const text = readFileSync(join(ROOT, 'data/wdbc.data'), 'utf8');
  let s = 7;
  const rnd = (): number => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32;
  return text
    .trim()
    .split('\n')
    .map((line) => {
      const c = line.split(',');
      const score = Math.max(
        1,
        Math.min(10, Math.round((c[1] === 'M' ? 6.5 : 3.5) + (rnd() - 0.5) * 7)),
      );
      return [...c, String(score)];
    });
}

async function sagemakerDir(files: Record<string, string>): Promise<string> {
  const base = await mkdtemp(join(tmpdir(), 'sm-'));
  for (const [rel, content] of Object.entries(files)) {
    await mkdir(join(base, rel, '..'), { recursive: true });
    await writeFile(join(base, rel), content);
  }
  return base;
}

const csv = (rows: string[][]): string => `${rows.map((r) => r.join(',')).join('\n')}\n`;

// Read at load time: it.each tables below are built before any hook runs.
const rows = wdbcRows();
let base: string;
const temps: string[] = [];

beforeAll(async () => {
  base = await sagemakerDir({
    'input/data/train/part-0.csv': csv([HEADER, ...rows.filter((_, i) => i % 5 !== 0)]),
    'input/data/validation/part-0.csv': csv([HEADER, ...rows.filter((_, i) => i % 5 === 0)]),
    'input/config/hyperparameters.json': JSON.stringify({
      n_estimators: '60',
      seed: '11',
      cv_folds: '3',
    }),
  });
  temps.push(base);
});

afterAll(async () => {
  await Promise.all(temps.map((t) => rm(t, { recursive: true, force: true })));
});

describe('Function: trainFromDirectory', () => {
  it('writes the model and an evaluation report with and without the note score', async () => {
    // Act
    const result = await trainFromDirectory(base);

    // Assess
    const model = loadModel(await readFile(join(base, 'model/model.bin')), {
      expectedFeatures: FEATURES,
    });
    const report = JSON.parse(await readFile(join(base, 'model/evaluation.json'), 'utf8'));
    expect(result.report.modelId).toBe(model.metadata.modelId);
    expect(model.metadata.hyperparameters.nEstimators).toBe(60);
    expect(model.metadata.datasetId).toMatch(/^sha256:[0-9a-f]{32}$/);
    expect(report.validation.rocAuc).toBeGreaterThan(0.95);
    expect(report.oob.sensitivity).toBeGreaterThanOrEqual(0.95);
    expect(report.leakage).toMatchObject({
      scoreFeature: 'malignancy_risk_score',
      present: true,
      basis: 'validation',
    });
    expect(report.leakage.withScore.rocAuc).toEqual(expect.any(Number));
    expect(report.leakage.withoutScore.rocAuc).toEqual(expect.any(Number));
    expect(report.crossValidation.folds).toBe(3);
    expect(existsSync(join(base, 'output/failure'))).toBe(false);
  });
});

describe('Function: startServer', () => {
  let server: RunningServer;
  let url: string;
  const validation = (): string[][] => rows.filter((_, i) => i % 5 === 0);
  const featureRow = (r: string[]): string[] => r.slice(2);

  beforeAll(async () => {
    if (!existsSync(join(base, 'model/model.bin'))) await trainFromDirectory(base);
    server = await startServer({ baseDir: base, port: 0, host: '127.0.0.1' });
    url = `http://127.0.0.1:${server.port}`;
  });
  afterAll(async () => {
    await server.close();
  });

  it('answers /ping once the model is loaded', async () => {
    // Act
    const res = await fetch(`${url}/ping`);

    // Assess
    expect(res.status).toBe(200);
    expect(res.headers.get('x-model-id')).toMatch(/^rf-/);
  });

  it('scores many CSV records and answers in the Accept format', async () => {
    // Prepare
    const body = validation()
      .map((r) => featureRow(r).join(','))
      .join('\n');

    // Act
    const asJson = await fetch(`${url}/invocations`, {
      method: 'POST',
      headers: { 'Content-Type': 'text/csv' },
      body,
    });
    const asCsv = await fetch(`${url}/invocations`, {
      method: 'POST',
      headers: { 'Content-Type': 'text/csv', Accept: 'text/csv' },
      body,
    });

    // Assess
    expect(asJson.headers.get('content-type')).toBe('application/json');
    const { predictions } = (await asJson.json()) as {
      predictions: { probability_malignant: number; prediction: string }[];
    };
    expect(predictions).toHaveLength(validation().length);
    const correct = predictions.filter(
      (p, i) => (p.prediction === 'malignant') === (validation()[i][1] === 'M'),
    );
    expect(correct.length / predictions.length).toBeGreaterThan(0.9);
    const lines = (await asCsv.text()).trim().split('\n');
    expect(lines).toHaveLength(predictions.length);
    expect(lines[0]).toBe(`${predictions[0].probability_malignant},${predictions[0].prediction}`);
  });

  it('scores JSON instances, arrays and JSON Lines, with explanations on request', async () => {
    // Prepare
    const instance = Object.fromEntries(
      FEATURES.map((f, i) => [f, Number(featureRow(validation()[0])[i])]),
    );
    const post = (body: string, type: string, extra: Record<string, string> = {}, query = '') =>
      fetch(`${url}/invocations${query}`, {
        method: 'POST',
        headers: { 'Content-Type': type, ...extra },
        body,
      });

    // Act
    const wrapped = await json(
      await post(
        JSON.stringify({ instances: [instance, { ...instance, record_id: 'r1' }] }),
        'application/json',
      ),
    );
    const bare = await json(await post(JSON.stringify([instance]), 'application/json'));
    const jsonl = await (
      await post(
        `${JSON.stringify(instance)}\n${JSON.stringify(instance)}\n`,
        'application/jsonlines',
        { Accept: 'application/jsonlines' },
      )
    ).text();
    const explained = await json(
      await post(JSON.stringify([instance]), 'application/json', {}, '?explain=1'),
    );
    const header = await json(
      await post(JSON.stringify([{ ...instance, radius_mean: null }]), 'application/json', {
        'X-Explain': '1',
      }),
    );
    // What SageMaker forwards from InvokeEndpoint's CustomAttributes, among other attributes.
    const attributes = await json(
      await post(JSON.stringify([instance]), 'application/json', {
        'X-Amzn-SageMaker-Custom-Attributes': 'trace=abc; explain=1',
      }),
    );
    const values = await json(
      await post(JSON.stringify([instance]), 'application/json', {
        'X-Amzn-SageMaker-Custom-Attributes': 'explain=values',
      }),
    );
    const otherAttributes = await json(
      await post(JSON.stringify([instance]), 'application/json', {
        'X-Amzn-SageMaker-Custom-Attributes': 'trace=abc,explain=0',
      }),
    );

    // Assess
    expect(wrapped.predictions).toHaveLength(2);
    expect(wrapped.predictions[0]).toEqual(bare.predictions[0]);
    expect(Object.keys(bare.predictions[0])).toEqual(['probability_malignant', 'prediction']);
    expect(
      jsonl
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l)),
    ).toEqual([bare.predictions[0], bare.predictions[0]]);
    const e = explained.predictions[0];
    expect(e.contributions).toHaveLength(FEATURES.length);
    const sum = e.contributions.reduce(
      (a: number, c: { contribution: number }) => a + c.contribution,
      e.bias,
    );
    expect(sum).toBeCloseTo(e.raw_probability, 10);
    expect(attributes.predictions[0]).toEqual(e);
    // The compact form: the same explanation, contributions as numbers in model order.
    expect(values.predictions[0]).toEqual({
      ...e,
      contributions: e.contributions.map((c: { contribution: number }) => c.contribution),
    });
    expect(otherAttributes.predictions[0]).toEqual(bare.predictions[0]);
    expect(header.predictions[0].contributions[0]).toMatchObject({
      feature: 'radius_mean',
      value: null,
    });
  });

  it('refuses bad requests with a clear status', async () => {
    // Prepare
    const post = (body: string | Uint8Array, headers: Record<string, string>) =>
      fetch(`${url}/invocations`, { method: 'POST', headers, body });
    const big = new Uint8Array(MAX_BODY_BYTES + 10).fill(49);

    // Act
    const tooBig = await post(big, { 'Content-Type': 'text/csv' });
    const badCsv = await post('1,2,3\n', { 'Content-Type': 'text/csv' });
    const badType = await post('x', { 'Content-Type': 'application/xml' });
    const badAccept = await post('1', { 'Content-Type': 'text/csv', Accept: 'image/png' });
    const unknown = await post(JSON.stringify([{ bogus: 1 }]), {
      'Content-Type': 'application/json',
    });
    const notFound = await fetch(`${url}/nope`);

    // Assess
    expect(tooBig.status).toBe(413);
    expect(badCsv.status).toBe(400);
    expect((await json(badCsv)).error).toMatch(/line 1: 3 fields; expected 31/);
    expect(badType.status).toBe(415);
    expect(badAccept.status).toBe(406);
    expect(unknown.status).toBe(400);
    expect((await json(unknown)).error).toMatch(/unknown feature "bogus"/);
    expect(notFound.status).toBe(404);
  });

  it('answers 503 on /ping while no model is loaded', async () => {
    // Prepare
    const empty = await sagemakerDir({});
    temps.push(empty);
    const s = await startServer({ baseDir: empty, port: 0, host: '127.0.0.1' });

    // Act
    const res = await fetch(`http://127.0.0.1:${s.port}/ping`);
    await s.close();

    // Assess
    expect(res.status).toBe(503);
  });
});

describe('Function: trainFromDirectory failures', () => {
  const good = csv([HEADER, ...rows.slice(0, 60)]);
  it.each([
    ['no train channel', {}, /train channel is missing or empty/],
    ['an empty file', { 'input/data/train/a.csv': '' }, /a\.csv is empty/],
    [
      'a header only',
      { 'input/data/train/a.csv': `${HEADER.join(',')}\n` },
      /header but no data rows/,
    ],
    [
      'one class only',
      { 'input/data/train/a.csv': csv([HEADER, ...rows.filter((r) => r[1] === 'B').slice(0, 20)]) },
      /one class only/,
    ],
    [
      'an unknown label code',
      {
        'input/data/train/a.csv': csv([
          HEADER,
          ...rows.slice(0, 5),
          ['x', 'X', ...rows[5].slice(2)],
        ]),
      },
      /line 7: unknown diagnosis code "x"/,
    ],
    [
      'a non-numeric feature',
      {
        'input/data/train/a.csv': csv([
          HEADER,
          ...rows.slice(0, 5),
          [...rows[5].slice(0, 3), 'abc', ...rows[5].slice(4)],
        ]),
      },
      /line 7: non-numeric value in column texture_mean/,
    ],
    [
      'validation columns that differ',
      {
        'input/data/train/a.csv': good,
        'input/data/validation/a.csv': csv([
          HEADER.slice(0, -1),
          ...rows.slice(0, 20).map((r) => r.slice(0, -1)),
        ]),
      },
      /feature columns differ between train and validation \(missing in validation: malignancy_risk_score/,
    ],
    [
      'an unknown hyperparameter',
      { 'input/data/train/a.csv': good, 'input/config/hyperparameters.json': '{"n_trees":"5"}' },
      /hyperparameter n_trees: unknown/,
    ],
    [
      'a bad hyperparameter value',
      {
        'input/data/train/a.csv': good,
        'input/config/hyperparameters.json': '{"max_depth":"deep"}',
      },
      /hyperparameter max_depth: expected an integer/,
    ],
  ])('writes the reason to output/failure for %s', async (_name, files, reason) => {
    // Prepare
    const dir = await sagemakerDir(files as Record<string, string>);
    temps.push(dir);

    // Act
    await expect(trainFromDirectory(dir, { workers: 0 })).rejects.toThrow(reason);

    // Assess
    const failure = await readFile(join(dir, 'output/failure'), 'utf8');
    expect(failure).toMatch(/^ClientError: /);
    expect(failure).toMatch(reason);
    expect(existsSync(join(dir, 'model/model.bin'))).toBe(false);
  });
});

// The image runs the bundle (bundle.ts); `npm run container` runs the source through tsx.
let bundled: string;
beforeAll(() => {
  const out = mkdtempSync(join(tmpdir(), 'container-bundle-'));
  temps.push(out);
  bundled = bundleContainer(out);
}, 30_000);
afterAll(() => stopEsbuild());

describe.each([
  ['source (tsx)', () => ['--import', 'tsx', 'shared/container/src/main.ts']],
  ['bundle', () => [bundled]],
])('Function: main (CLI), from the %s', (_how, entry) => {
  const run = (args: string[], env: Record<string, string>) =>
    spawn(process.execPath, [...entry(), ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  const exitCode = (child: ReturnType<typeof run>): Promise<number | null> =>
    new Promise((resolve) => child.once('exit', (code) => resolve(code)));

  it('runs train (on worker threads) then serve as SageMaker does, and stops on SIGTERM', async () => {
    // Prepare
    const dir = await sagemakerDir({
      'input/data/train/a.csv': csv([HEADER, ...rows]),
      'input/config/hyperparameters.json': JSON.stringify({
        n_estimators: '20',
        cv_folds: '0',
        permutation_repeats: '0',
        workers: '2',
      }),
    });
    temps.push(dir);

    // Act: train.
    const train = run(['train'], { SM_BASE_DIR: dir });
    let trainLog = '';
    train.stdout.on('data', (chunk: Buffer) => (trainLog += chunk.toString()));
    const trainCode = await exitCode(train);

    // Act: serve on a free port, learn it from the first stdout line.
    const serve = run(['serve'], { SM_BASE_DIR: dir, SM_PORT: '0', SM_HOST: '127.0.0.1' });
    const port = await new Promise<number>((resolve, reject) => {
      let out = '';
      serve.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        for (const line of out.split('\n')) {
          if (line.includes('"listening"')) resolve(JSON.parse(line).port);
        }
      });
      serve.once('exit', () => reject(new Error('serve exited')));
    });
    const ping = await fetch(`http://127.0.0.1:${port}/ping`);
    const stopped = exitCode(serve);
    serve.kill('SIGTERM');

    // Assess
    expect(trainCode).toBe(0);
    expect(trainLog).toContain('"model-written"');
    expect(trainLog).not.toContain('workers-unavailable');
    expect(ping.status).toBe(200);
    expect(await stopped).toBe(0);
  });

  it('exits non-zero with the reason in output/failure', async () => {
    // Prepare
    const dir = await sagemakerDir({ 'input/data/train/a.csv': 'diagnosis,x\nQ,1\n' });
    temps.push(dir);

    // Act
    const code = await exitCode(run(['train'], { SM_BASE_DIR: dir }));

    // Assess
    expect(code).toBe(1);
    expect(await readFile(join(dir, 'output/failure'), 'utf8')).toMatch(
      /unknown diagnosis code "q"/,
    );
  });
});
