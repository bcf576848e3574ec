import { execFileSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BusEvent } from '@cancer-mlops/shared/contracts/events.ts';

/** The repository root (this file is local/src/sagemaker/container.ts). */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * How the local SageMaker runs the container's entrypoint: the same code the image runs, its
 * JavaScript bundle (scripts/build-container.ts) built into `<stateDir>/sagemaker/container/`
 * on first use, run as `node --import exitWithParent.mjs main.js <train|serve>` (so a child never
 * outlives the runtime) with SM_BASE_DIR (and SM_PORT for serve) in place of /opt/ml and port
 * 8080. `train` / `serve` is appended; `env` goes over the runtime's environment.
 */
export interface ContainerCommand {
  command: string;
  args: string[];
  cwd: string;
  /** Set over the runtime's environment; undefined removes a variable. */
  env?: Record<string, string | undefined>;
}

const BUILD_SCRIPT = join(REPO_ROOT, 'scripts', 'build-container.ts');
const built = new Map<string, ContainerCommand>();

/** The bundled container for a runtime's state folder, built once per process. */
export function defaultContainerCommand(stateDir: string): ContainerCommand {
  const outDir = join(stateDir, 'sagemaker', 'container');
  let command = built.get(outDir);
  if (!command) {
    // In a process of its own: esbuild's synchronous API would leave its service process
    // (~50 MiB) running beside the runtime.
    const env = { ...process.env, NODE_OPTIONS: withoutTsx(process.env.NODE_OPTIONS) };
    try {
      execFileSync(process.execPath, ['--import', 'tsx', BUILD_SCRIPT, outDir], {
        cwd: REPO_ROOT,
        env,
        stdio: ['ignore', 'ignore', 'pipe'],
      });
    } catch (e) {
      const stderr = String((e as { stderr?: unknown }).stderr ?? '').trim();
      throw new Error(`the model container could not be bundled: ${stderr || String(e)}`);
    }
    const main = join(outDir, 'main.js');
    command = {
      command: process.execPath,
      args: ['--import', new URL('./exitWithParent.mjs', import.meta.url).href, main],
      cwd: REPO_ROOT,
      // The runtime's own TypeScript loader (bin/mlops.js puts it in NODE_OPTIONS) is not the
      // container's: the bundle is plain JavaScript.
      env: { NODE_OPTIONS: env.NODE_OPTIONS },
    };
    built.set(outDir, command);
  }
  return command;
}

/** NODE_OPTIONS less any `--import` / `--require` / `--loader` of tsx; undefined when empty. */
export function withoutTsx(nodeOptions: string | undefined): string | undefined {
  const tokens = (nodeOptions ?? '').split(/\s+/).filter(Boolean);
  const isTsx = (v: string) => v === 'tsx' || /(^|[\\/])tsx([\\/]|$)/.test(v);
  const kept: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const m = /^(--import|--require|-r|--loader|--experimental-loader)(=(.*))?$/.exec(tokens[i]);
    if (m && m[2] === undefined && i + 1 < tokens.length && isTsx(tokens[i + 1])) {
      i++;
      continue;
    }
    if (m && m[3] !== undefined && isTsx(m[3])) continue;
    kept.push(tokens[i]);
  }
  return kept.length > 0 ? kept.join(' ') : undefined;
}

/** SageMaker's state-change events go on the default bus; the runtime puts them there. */
export type EmitEvent = (event: BusEvent) => void | Promise<void>;

export const SAGEMAKER_SOURCE = 'aws.sagemaker';
export const LOCAL_ACCOUNT = '000000000000';
export const LOCAL_IMAGE = 'local/cancer-mlops-container:latest';

/** SageMaker's ARN form; it lower-cases resource names. */
export const sagemakerArn = (region: string, account: string, resource: string) =>
  `arn:aws:sagemaker:${region}:${account}:${resource.toLowerCase()}`;

/** SIGTERM, then SIGKILL if the process has not exited 5 s later; resolves once it has. */
export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const force = setTimeout(() => child.kill('SIGKILL'), 5000);
  force.unref();
  await exited;
  clearTimeout(force);
}
