import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { BusEvent } from '@cancer-mlops/shared/contracts/events.ts';

/** The repository root (this file is local/src/sagemaker/container.ts). */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * How the local SageMaker runs the container's entrypoint: the same code the image runs,
 * `node --import tsx shared/container/src/main.ts <train|serve>` (plus exitWithParent.mjs, so a
 * child never outlives the runtime) with SM_BASE_DIR (and
 * SM_PORT for serve) in place of /opt/ml and port 8080. `train` / `serve` is appended.
 */
export interface ContainerCommand {
  command: string;
  args: string[];
  cwd: string;
}

export function defaultContainerCommand(): ContainerCommand {
  return {
    command: process.execPath,
    args: [
      '--import',
      'tsx',
      '--import',
      new URL('./exitWithParent.mjs', import.meta.url).href,
      'shared/container/src/main.ts',
    ],
    cwd: REPO_ROOT,
  };
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
