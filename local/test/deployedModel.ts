import fs from 'node:fs';
import { readStatus } from '../src/cli/status.ts';
import type { LocalRuntime } from '../src/runtime.ts';
import { eventually } from './harness.ts';
import { HOSPITAL_FILE } from './hospitalFile.ts';

export const DEPLOY_TIMEOUT_MS = 120_000;

/** Drops the hospital file and waits, with no other call, until a model serves. */
export async function deployFromHospitalFile(
  runtime: LocalRuntime,
): Promise<{ version: string; packageArn: string }> {
  await runtime.state.objects.put(
    'raw',
    'incoming/hospital-demo.csv',
    fs.readFileSync(HOSPITAL_FILE),
  );
  const deployed = await eventually(
    'a deployed model',
    async () => (await readStatus(runtime.state)).model.deployed ?? undefined,
    DEPLOY_TIMEOUT_MS,
    250,
  );
  await runtime.waitUntilIdle(500);
  return deployed;
}
