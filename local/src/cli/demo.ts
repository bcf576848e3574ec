import fs from 'node:fs';
import path from 'node:path';
import { WDBC_FEATURES } from '@cancer-mlops/shared/contracts/featureGroup.ts';
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

export function wdbcRecords(): Record<string, number>[] {
  return fs
    .readFileSync(path.join(REPO_ROOT, 'data', 'wdbc.data'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => {
      const cells = line.split(',');
      return Object.fromEntries(WDBC_FEATURES.map((f, k) => [f, Number(cells[k + 2])]));
    });
}

/** A seeded sample of WDBC rows, optionally with the size features scaled. */
export function trafficSample(n: number, seed: number, scale = 1): Record<string, number>[] {
  const rows = wdbcRecords();
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return Array.from({ length: n }, () => {
    const row = { ...rows[Math.floor(next() * rows.length)] };
    for (const f of SIZE_FEATURES) row[f] = Number((row[f] * scale).toPrecision(6));
    return row;
  });
}

/** Sends records to POST /predict, a few at a time; returns how many were answered 200. */
export async function sendTraffic(
  target: Pick<DemoTarget, 'apiUrl' | 'token'>,
  records: Record<string, number>[],
  score = 5,
): Promise<number> {
  let ok = 0;
  const queue = [...records];
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      for (let r = queue.shift(); r; r = queue.shift()) {
        const res = await fetch(`${target.apiUrl}/predict`, {
          method: 'POST',
          headers: { authorization: `Bearer ${target.token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ ...r, malignancy_risk_score: score }),
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
    const latest = s.model.packages[0];
    const line = latest ? `   newest package v${latest.version}: ${latest.status}` : '';
    if (line && line !== seen) t.out((seen = line));
    if (s.model.deployed && s.model.deployed.version !== startVersion) {
      t.out(
        `Model v${s.model.deployed.version} now serves, retrained on drift with no human involved.`,
      );
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
