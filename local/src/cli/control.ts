import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { LocalRuntime } from '../runtime.ts';
import { UsageError, existingStateDir } from './args.ts';

/**
 * Some commands need the mesh (approving a model emits an event a function must react to;
 * a drift analysis ends in a retraining). When a runtime runs on the state folder they run
 * inside it, through its local-only control route; otherwise an ephemeral runtime is
 * started on the folder for the command and stopped once the work it caused is done.
 */
export interface CommandContext {
  runtime: LocalRuntime;
  out: (line?: string) => void;
}
export type RuntimeCommand = (ctx: CommandContext, argv: string[]) => Promise<number>;

export const CONTROL_PATH = '/_local/cli';

interface RuntimeInfo {
  pid: number;
  apiUrl: string;
  startedAt: string;
}

const infoFile = (stateDir: string) => path.join(stateDir, 'runtime.json');

export function writeRuntimeInfo(stateDir: string, apiUrl: string): void {
  const info: RuntimeInfo = { pid: process.pid, apiUrl, startedAt: new Date().toISOString() };
  fs.writeFileSync(infoFile(stateDir), `${JSON.stringify(info)}\n`);
}

export function removeRuntimeInfo(stateDir: string): void {
  try {
    const info = JSON.parse(fs.readFileSync(infoFile(stateDir), 'utf8')) as RuntimeInfo;
    if (info.pid === process.pid) fs.rmSync(infoFile(stateDir));
  } catch {
    // nothing to remove
  }
}

/** The runtime running on this state folder, if its process is alive. */
export function liveRuntime(stateDir: string): RuntimeInfo | undefined {
  try {
    const info = JSON.parse(fs.readFileSync(infoFile(stateDir), 'utf8')) as RuntimeInfo;
    if (info.pid === process.pid) return undefined;
    process.kill(info.pid, 0);
    return info;
  } catch {
    return undefined;
  }
}

/** Runs a registered command in the live runtime, or in an ephemeral one. */
export async function runWithRuntime(
  stateDir: string,
  name: string,
  argv: string[],
): Promise<number> {
  const live = liveRuntime(stateDir);
  if (live) {
    const token = fs.readFileSync(path.join(stateDir, 'api-token'), 'utf8').trim();
    const res = await fetch(`${live.apiUrl}${CONTROL_PATH}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ command: name, argv }),
    });
    const answer = (await res.json()) as { exitCode?: number; output?: string; message?: string };
    process.stdout.write(answer.output ?? `${answer.message ?? res.statusText}\n`);
    return answer.exitCode ?? 1;
  }
  const runtime = await LocalRuntime.start({ stateDir: existingStateDir(stateDir), port: 0 });
  try {
    const code = await execute(runtime, name, argv, (line = '') =>
      process.stdout.write(`${line}\n`),
    );
    await runtime.waitUntilIdle(500);
    return code;
  } finally {
    await runtime.stop();
  }
}

const registry = new Map<string, RuntimeCommand>();

export function registerRuntimeCommand(name: string, command: RuntimeCommand): void {
  registry.set(name, command);
}

export async function execute(
  runtime: LocalRuntime,
  name: string,
  argv: string[],
  out: CommandContext['out'],
): Promise<number> {
  const command = registry.get(name);
  if (!command) throw new Error(`unknown command "${name}"`);
  return command({ runtime, out }, argv);
}

/** The control route's handler: runs the command in this runtime and returns its output. */
export function controlHandler(runtime: LocalRuntime) {
  return async (event: { body?: string; isBase64Encoded?: boolean }) => {
    let request: { command?: unknown; argv?: unknown };
    try {
      request = JSON.parse(event.body ?? '{}');
    } catch {
      return { statusCode: 400, body: JSON.stringify({ message: 'body is not JSON' }) };
    }
    if (typeof request.command !== 'string' || !Array.isArray(request.argv)) {
      return { statusCode: 400, body: JSON.stringify({ message: 'expected {command, argv}' }) };
    }
    const chunks: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        chunks.push(String(chunk));
        done();
      },
    });
    const out = (line = '') => sink.write(`${line}\n`);
    let exitCode: number;
    try {
      exitCode = await execute(runtime, request.command, request.argv.map(String), out);
    } catch (e) {
      // As main() answers without a live runtime: 2 for a usage error, 1 for a failure.
      out(`mlops ${request.command}: ${e instanceof Error ? e.message : String(e)}`);
      exitCode = e instanceof UsageError ? 2 : 1;
    }
    return { statusCode: 200, body: JSON.stringify({ exitCode, output: chunks.join('') }) };
  };
}
