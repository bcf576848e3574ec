import fs from 'node:fs';
import path from 'node:path';
import { WDBC_FEATURES } from '@cancer-mlops/shared/contracts/featureGroup.ts';
import { parseCsv } from '@cancer-mlops/shared/domain/csv/index.ts';
import { mulberry32 } from '@cancer-mlops/shared/domain/random.ts';
import { REPO_ROOT } from '../runtime.ts';
import type { Status } from './status.ts';
import { describeRun } from './monitor.ts';

/** What the drift demo needs from a runtime, whether it runs in this process or another. */
export interface DemoTarget {
  apiUrl: string;
  token: string;
  runMonitor(): Promise<Parameters<typeof describeRun>[0]>;
  status(): Promise<Status>;
  out: (line?: string) => void;
}

/** The size features the demo shifts: radius, perimeter and area (mean, se, worst). */
export const SIZE_FEATURES = WDBC_FEATURES.filter((f) => /^(radius|perimeter|area)_/.test(f));

type TrafficRecord = Record<string, number | string>;

/** The shipped hospital file's rows as /predict bodies: the 30 measurements and the note. */
export function hospitalRecords(): TrafficRecord[] {
  const text = fs.readFileSync(path.join(REPO_ROOT, 'data', 'hospital-demo.csv'), 'utf8');
  const [header, ...rows] = parseCsv(text).map((r) => r.fields);
  const at = (name: string) => header.indexOf(name);
  const note = at('pathology_note');
  return rows.map((cells) => ({
    ...Object.fromEntries(WDBC_FEATURES.map((f) => [f, Number(cells[at(f)])])),
    pathology_note: cells[note],
  }));
}

/**
 * A seeded sample of the hospital's records, with their notes (so the risk score is drawn from
 * the training population too), optionally with the size features scaled.
 */
export function trafficSample(n: number, seed: number, scale = 1): TrafficRecord[] {
  const rows = hospitalRecords();
  const next = mulberry32(seed);
  return Array.from({ length: n }, () => {
    const row = { ...rows[Math.floor(next() * rows.length)] };
    for (const f of SIZE_FEATURES) row[f] = Number((Number(row[f]) * scale).toPrecision(6));
    return row;
  });
}

/** Sends records to POST /predict, a few at a time; returns how many were answered 200. */
export async function sendTraffic(
  target: Pick<DemoTarget, 'apiUrl' | 'token'>,
  records: TrafficRecord[],
): Promise<number> {
  let ok = 0;
  const queue = [...records];
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      for (let r = queue.shift(); r; r = queue.shift()) {
        const res = await fetch(`${target.apiUrl}/predict`, {
          method: 'POST',
          headers: { authorization: `Bearer ${target.token}`, 'content-type': 'application/json' },
          body: JSON.stringify(r),
        });
        await res.arrayBuffer();
        if (res.ok) ok++;
      }
    }),
  );
  return ok;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * `mlops demo drift`: 300 requests like the training data (no drift), then 300 with the size
 * features 40% larger. The monitor finds the drift, the reaction requests a retraining, and
 * a new model version is trained, approved and deployed: no human in the loop.
 */
export async function demoDrift(t: DemoTarget, o: { timeoutMs?: number } = {}): Promise<number> {
  const before = await t.status();
  if (!before.model.deployed) {
    t.out('No model is deployed yet: run `npm start` and wait for "A model is serving" first.');
    return 1;
  }
  const startVersion = before.model.deployed.version;
  const startedAt = new Date().toISOString();
  t.out(`Model v${startVersion} serves. 1) 300 requests drawn from the training population…`);
  t.out(`   ${await sendTraffic(t, trafficSample(300, 1))} answered`);
  await sleep(1500); // the endpoint's data capture flushes within a second
  for (const l of describeRun(await t.runMonitor())) t.out(`   ${l}`);

  t.out('2) 300 requests whose radius, perimeter and area are 40% larger…');
  t.out(`   ${await sendTraffic(t, trafficSample(300, 2, 1.4))} answered`);
  await sleep(1500);
  for (const l of describeRun(await t.runMonitor())) t.out(`   ${l}`);

  t.out(
    '3) waiting for the reaction: DriftDetected -> RetrainingRequested -> training -> approval -> deployment',
  );
  const deadline = Date.now() + (o.timeoutMs ?? 240_000);
  let seen = '';
  while (Date.now() < deadline) {
    const s = await t.status();
    const reaction = s.monitoring.lastReaction;
    if (reaction && reaction.at >= startedAt && reaction.outcome !== 'requested') {
      t.out(`   the drift alarm was not acted on (${reaction.outcome}): ${reaction.reason}`);
      t.out(`Model v${startVersion} keeps serving.`);
      if (reaction.outcome === 'cooldown')
        t.out(
          '   (the cooldown is DRIFT_COOLDOWN_MINUTES, default 360; it prevents retraining storms)',
        );
      return 0;
    }
    const latest = s.model.packages[0];
    const line = latest ? `   newest package v${latest.version}: ${latest.status}` : '';
    if (line && line !== seen) t.out((seen = line));
    if (s.model.deployed && s.model.deployed.version !== startVersion) {
      t.out(
        `Model v${s.model.deployed.version} now serves, retrained on drift with no human involved.`,
      );
      t.out(
        '   It learned from the labelled records in the feature store; the shifted requests carry no',
      );
      t.out(
        '   diagnosis, so it only learns from them once confirmed cases arrive (a labelled file in',
      );
      t.out('   raw/incoming/, or ground truth in raw/ground-truth/ for the quality check).');
      return 0;
    }
    if (latest && latest.version !== startVersion && latest.status === 'Rejected') {
      t.out(
        `The retrained model was rejected by the approval policy (${latest.reason ?? 'no reason'}); v${startVersion} keeps serving.`,
      );
      return 0;
    }
    await sleep(1000);
  }
  t.out(
    'No new model within the time limit: see `npx mlops status` and the log in the state folder.',
  );
  return 1;
}
