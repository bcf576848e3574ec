/**
 * Scorer evaluation (`npm run eval:scorer`, written up in docs/NOTE-SCORING.md): runs the local
 * clinical-text scorer over the real TCGA report texts in data/pathology-reports/ and prints
 * Markdown tables: the score distribution, the share of these (all malignant) reports scored
 * >= 7, and on the labelled breast reports whether scores rise with lymph-node involvement and
 * positive margins (Spearman rank correlation with counts and a permutation p-value). If
 * data/hospital-demo.csv exists, it also shows how far the synthetic demo notes separate M
 * from B. Prints no note text.
 */
import { readFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import { analyseNote, scoreNoteLocally } from '../shared/src/domain/scoring/localScorer.ts';
import { mulberry32 } from '../shared/src/domain/random.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const reportsDir = join(root, 'data', 'pathology-reports');

type Row = Record<string, string>;

function readCsv(path: string): Row[] {
  return parse(readFileSync(path), { columns: true, skip_empty_lines: true }) as Row[];
}

// --- statistics -------------------------------------------------------------------------

function ranks(values: readonly number[]): number[] {
  const order = values.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0]);
  const out = new Array<number>(values.length);
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j + 1 < order.length && order[j + 1][0] === order[i][0]) j++;
    const avg = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) out[order[k][1]] = avg;
    i = j + 1;
  }
  return out;
}

function pearson(x: readonly number[], y: readonly number[]): number {
  const n = x.length;
  const mx = x.reduce((s, v) => s + v, 0) / n;
  const my = y.reduce((s, v) => s + v, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) ** 2;
    syy += (y[i] - my) ** 2;
  }
  return sxx === 0 || syy === 0 ? 0 : sxy / Math.sqrt(sxx * syy);
}

function spearman(x: readonly number[], y: readonly number[]): number {
  return pearson(ranks(x), ranks(y));
}

/** One-sided permutation p-value for rho > 0 (seeded, so the printed numbers are stable). */
function permutationP(x: readonly number[], y: readonly number[], rounds = 5000): number {
  const rx = ranks(x);
  const ry = ranks(y);
  const observed = pearson(rx, ry);
  const rand = mulberry32(20240229);
  const perm = [...ry];
  let atLeast = 0;
  for (let r = 0; r < rounds; r++) {
    for (let i = perm.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [perm[i], perm[j]] = [perm[j], perm[i]];
    }
    if (pearson(rx, perm) >= observed) atLeast++;
  }
  return (atLeast + 1) / (rounds + 1);
}

function mean(xs: readonly number[]): number {
  return xs.length === 0 ? NaN : xs.reduce((s, v) => s + v, 0) / xs.length;
}

function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Probability that a random M note scores above a random B note (ties count half). */
function auc(pos: readonly number[], neg: readonly number[]): number {
  let wins = 0;
  for (const p of pos) for (const n of neg) wins += p > n ? 1 : p === n ? 0.5 : 0;
  return wins / (pos.length * neg.length);
}

const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
const f2 = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : '–');

function table(header: string[], rows: Array<Array<string | number>>): string {
  const line = (cells: Array<string | number>) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

// --- 1. all TCGA reports -----------------------------------------------------------------

function evalAllReports(): void {
  const rows = readCsv(join(reportsDir, 'tcga-sample.csv'));
  const scores = rows.map((r) => scoreNoteLocally(r.text).malignancy_risk_score);
  const dist = new Array<number>(11).fill(0);
  for (const s of scores) dist[s]++;
  const ge7 = scores.filter((s) => s >= 7).length;
  console.log(`## 1. Real TCGA reports (tcga-sample.csv, n = ${rows.length}, all malignant)\n`);
  console.log(
    table(
      ['score', ...Array.from({ length: 10 }, (_, i) => String(i + 1))],
      [
        ['reports', ...dist.slice(1)],
        ['share', ...dist.slice(1).map((d) => pct(d / rows.length))],
      ],
    ),
  );
  console.log(
    `\nScored >= 7: **${ge7} / ${rows.length} = ${pct(ge7 / rows.length)}**; median score ${median(scores)}.\n`,
  );

  const byType = new Map<string, number[]>();
  rows.forEach((r, i) => {
    const list = byType.get(r.cancer_type) ?? [];
    list.push(scores[i]);
    byType.set(r.cancer_type, list);
  });
  const typeRows = [...byType.entries()]
    .sort((a, b) => b[1].length - a[1].length)
    .map(([type, s]) => [
      type,
      s.length,
      pct(s.filter((v) => v >= 7).length / s.length),
      f2(mean(s)),
    ]);
  console.log(table(['cancer type', 'n', 'scored >= 7', 'mean score'], typeRows));

  // Why the misses happen, by the rule that set the base (no text printed).
  const misses = new Map<string, number>();
  rows.forEach((r, i) => {
    if (scores[i] >= 7) return;
    const a = analyseNote(r.text);
    const key = a.baseFinding
      ? `${a.baseFinding.status} ${a.baseFinding.cls} in ${a.baseFinding.section}`
      : 'nothing recognised';
    misses.set(key, (misses.get(key) ?? 0) + 1);
  });
  console.log('\nReports scored < 7, by what set their base level:\n');
  console.log(
    table(
      ['base finding', 'reports'],
      [...misses.entries()].sort((a, b) => b[1] - a[1]),
    ),
  );
  console.log('');
}

// --- 2. labelled breast reports --------------------------------------------------------------

function correlationLine(name: string, x: number[], y: number[]): Array<string | number> {
  return [name, x.length, f2(spearman(x, y)), permutationP(x, y).toFixed(4)];
}

function evalLabelledBreast(): void {
  const rows = readCsv(join(reportsDir, 'tcga-brca-labelled.csv'));
  const analyses = rows.map((r) => analyseNote(r.text));
  const scores = analyses.map((a) => a.score);
  console.log(`## 2. Labelled TCGA breast reports (tcga-brca-labelled.csv, n = ${rows.length})\n`);
  console.log('Labels are the official TCGA clinical data; texts are cut to 2,000 characters.\n');

  // Lymph nodes: number positive by H&E.
  const nodeX: number[] = [];
  const nodeY: number[] = [];
  const groups: Record<string, number[]> = { '0': [], '1-3': [], '>= 4': [] };
  const detected: Record<string, [number, number]> = { '0': [0, 0], '1-3': [0, 0], '>= 4': [0, 0] };
  rows.forEach((r, i) => {
    const n = Number(r.lymph_nodes_positive_he);
    if (r.lymph_nodes_positive_he === '' || !Number.isFinite(n)) return;
    nodeX.push(n);
    nodeY.push(scores[i]);
    const g = n === 0 ? '0' : n <= 3 ? '1-3' : '>= 4';
    groups[g].push(scores[i]);
    const status = analyses[i].features.nodes?.status;
    detected[g][0] += status !== undefined && status !== 'negative' ? 1 : 0;
    detected[g][1] += 1;
  });
  // Margins: Negative < Close < Positive.
  const marginOrder: Record<string, number> = { Negative: 0, Close: 1, Positive: 2 };
  const marginX: number[] = [];
  const marginY: number[] = [];
  const marginGroups: Record<string, number[]> = { Negative: [], Close: [], Positive: [] };
  const marginDetected: Record<string, [number, number]> = {
    Negative: [0, 0],
    Close: [0, 0],
    Positive: [0, 0],
  };
  rows.forEach((r, i) => {
    const o = marginOrder[r.margin_status];
    if (o === undefined) return;
    marginX.push(o);
    marginY.push(scores[i]);
    marginGroups[r.margin_status].push(scores[i]);
    const m = analyses[i].features.margins?.status;
    marginDetected[r.margin_status][0] += m === 'positive' || m === 'close' ? 1 : 0;
    marginDetected[r.margin_status][1] += 1;
  });
  // pN stage: N0 < N1 < N2 < N3.
  const nX: number[] = [];
  const nY: number[] = [];
  const nGroups: Record<string, number[]> = { N0: [], N1: [], N2: [], N3: [] };
  rows.forEach((r, i) => {
    const m = /^N([0-3])/.exec(r.pathologic_N);
    if (!m) return;
    nX.push(Number(m[1]));
    nY.push(scores[i]);
    nGroups[`N${m[1]}`].push(scores[i]);
  });

  console.log(
    'Spearman rank correlation of the score with the label (one-sided permutation p, 5,000 rounds):\n',
  );
  console.log(
    table(
      ['label', 'n', 'Spearman rho', 'p (rho > 0)'],
      [
        correlationLine('positive lymph nodes (H&E count)', nodeX, nodeY),
        correlationLine('pathologic N (N0 < N1 < N2 < N3)', nX, nY),
        correlationLine('margin status (negative < close < positive)', marginX, marginY),
        correlationLine(
          'margin positive vs negative (close left out)',
          marginX.filter((x) => x !== 1),
          marginY.filter((_, i) => marginX[i] !== 1),
        ),
      ],
    ),
  );
  const groupRows = (g: Record<string, number[]>, det?: Record<string, [number, number]>) =>
    Object.entries(g).map(([k, s]) => [
      k,
      s.length,
      f2(mean(s)),
      f2(median(s)),
      pct(s.filter((v) => v >= 9).length / Math.max(1, s.length)),
      ...(det ? [`${det[k][0]} / ${det[k][1]}`] : []),
    ]);
  console.log('\nScores by positive lymph nodes (H&E):\n');
  console.log(
    table(
      ['positive nodes', 'n', 'mean', 'median', 'scored >= 9', 'text read as node-positive'],
      groupRows(groups, detected),
    ),
  );
  console.log('\nScores by pathologic N:\n');
  console.log(table(['pN', 'n', 'mean', 'median', 'scored >= 9'], groupRows(nGroups)));
  console.log('\nScores by margin status:\n');
  console.log(
    table(
      ['margin', 'n', 'mean', 'median', 'scored >= 9', 'text read as positive/close'],
      groupRows(marginGroups, marginDetected),
    ),
  );
  console.log('');
}

// --- 3. synthetic demo notes ----------------------------------------------------------------

function evalDemoNotes(): void {
  const path = join(root, 'data', 'hospital-demo.csv');
  if (!existsSync(path)) {
    console.log(
      '## 3. Synthetic demo notes\n\ndata/hospital-demo.csv not found; run scripts/make-demo-data.ts.\n',
    );
    return;
  }
  const rows = readCsv(path);
  const m: number[] = [];
  const b: number[] = [];
  for (const r of rows)
    (r.diagnosis === 'M' ? m : b).push(scoreNoteLocally(r.pathology_note).malignancy_risk_score);
  console.log(
    `## 3. Synthetic demo notes (data/hospital-demo.csv, n = ${rows.length}; generated, not real)\n`,
  );
  console.log(
    table(
      ['diagnosis', 'n', 'mean score', 'scored >= 7', 'scored <= 3'],
      [
        [
          'M',
          m.length,
          f2(mean(m)),
          pct(m.filter((s) => s >= 7).length / m.length),
          pct(m.filter((s) => s <= 3).length / m.length),
        ],
        [
          'B',
          b.length,
          f2(mean(b)),
          pct(b.filter((s) => s >= 7).length / b.length),
          pct(b.filter((s) => s <= 3).length / b.length),
        ],
      ],
    ),
  );
  console.log(
    `\nAUC of the note score alone for M vs B: **${auc(m, b).toFixed(3)}** (1.0 would give the label away).\n`,
  );
}

// --- 4. speed and robustness ------------------------------------------------------------------

function evalSpeed(): void {
  const rows = readCsv(join(reportsDir, 'tcga-brca-labelled.csv'));
  // Notes of about 2 kB: the breast texts are cut at 2,000 characters.
  const notes = rows.map((r) => r.text).filter((t) => t.length >= 1500);
  for (let i = 0; i < 3; i++) for (const n of notes) scoreNoteLocally(n);
  // CPU time of this process as well as wall time: on a shared machine the wall clock also
  // measures the neighbours.
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  let count = 0;
  while (performance.now() - t0 < 3000) {
    for (const n of notes) scoreNoteLocally(n);
    count += notes.length;
  }
  const cpu = process.cpuUsage(cpu0);
  const perSecond = count / ((performance.now() - t0) / 1000);
  const perCpuSecond = count / ((cpu.user + cpu.system) / 1e6);
  const avgLen = notes.reduce((s, n) => s + n.length, 0) / notes.length;

  const big = 'Invasive ductal carcinoma, grade 3. No lymph nodes. '
    .repeat(20_000)
    .slice(0, 1_000_000);
  const t1 = performance.now();
  const bigScore = scoreNoteLocally(big).malignancy_risk_score;
  const bigMs = performance.now() - t1;
  const garbage = Array.from({ length: 100_000 }, (_, i) =>
    String.fromCharCode((i * 7919) % 65536),
  ).join('');
  const t2 = performance.now();
  const garbageScore = scoreNoteLocally(garbage).malignancy_risk_score;
  const garbageMs = performance.now() - t2;

  console.log('## 4. Speed and robustness (single thread)\n');
  console.log(
    table(
      ['input', 'result'],
      [
        [
          `${notes.length} real notes, mean ${Math.round(avgLen)} characters`,
          `${Math.round(perCpuSecond)} notes per CPU-second (${Math.round(perSecond)} notes/s wall clock)`,
        ],
        [
          '1 MB note (only the first 200,000 characters are read)',
          `score ${bigScore} in ${bigMs.toFixed(0)} ms`,
        ],
        [
          '100,000 characters of binary garbage',
          `score ${garbageScore} in ${garbageMs.toFixed(0)} ms`,
        ],
        ['empty note', `score ${scoreNoteLocally('').malignancy_risk_score}`],
      ],
    ),
  );
  console.log('');
}

console.log('# Local clinical-text scorer: evaluation\n');
evalAllReports();
evalLabelledBreast();
evalDemoNotes();
evalSpeed();
