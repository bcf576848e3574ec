import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LocalRuntime } from '../src/runtime.ts';
import type { RuntimeLog } from '../src/log.ts';

/** Where mesh tests keep their state folders; removed after each test. */
export function tempStateDir(label: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `mlops-${label}-`));
}

export interface TestRuntimeOptions {
  stateDir?: string;
  /** 0 (any free port) unless given. */
  port?: number;
  log?: RuntimeLog;
  env?: NodeJS.ProcessEnv;
}

/**
 * A local runtime tuned for tests: a quick scan of bucket folders and short retry back-offs,
 * so a poison message reaches its DLQ in well under a second instead of ten.
 */
export async function startTestRuntime(
  label: string,
  o: TestRuntimeOptions = {},
): Promise<LocalRuntime> {
  const stateDir = o.stateDir ?? tempStateDir(label);
  return LocalRuntime.start({
    stateDir,
    port: o.port ?? 0,
    retryDelaySeconds: 0.01,
    scanIntervalMs: 50,
    log: o.log,
    env: o.env,
  });
}

/** Polls until `check` returns a value (not undefined/false), or fails with what it saw last. */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 60_000,
  everyMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
      last = v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}; last: ${String(last)}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export async function readJson<T = unknown>(
  runtime: LocalRuntime,
  bucket: string,
  key: string,
): Promise<T | undefined> {
  const body = await runtime.state.objects.get(bucket, key);
  return body ? (JSON.parse(body.toString('utf8')) as T) : undefined;
}

export async function readLines(
  runtime: LocalRuntime,
  bucket: string,
  key: string,
): Promise<string[]> {
  const body = await runtime.state.objects.get(bucket, key);
  return body
    ? body
        .toString('utf8')
        .split('\n')
        .filter((l) => l.trim() !== '')
    : [];
}
