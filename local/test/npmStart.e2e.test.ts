/**
 * `npm start` runs `mlops start` under npm, through a shell. A process manager that stops npm
 * with a signal reaches npm alone: the runtime must not run on as an orphan, holding the API
 * port and the state folder so that the next start is refused.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../src/runtime.ts';
import { eventually, tempStateDir } from './harness.ts';

const CLI = path.join(REPO_ROOT, 'local', 'bin', 'mlops.js');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('mlops start under npm', () => {
  let stateDir: string;
  let runtimePid: number | undefined;

  beforeAll(() => {
    stateDir = tempStateDir('npm-start');
  });

  afterAll(() => {
    if (runtimePid !== undefined && alive(runtimePid)) process.kill(runtimePid, 'SIGKILL');
    fs.rmSync(stateDir, { recursive: true, force: true });
  });

  it('stops when npm, which ran it, is gone', async () => {
    // Prepare: what npm does (`sh -c` with npm's environment); `; true` keeps the shell as the
    // runtime's parent, as npm is, instead of letting it exec node.
    const command = `"${process.execPath}" "${CLI}" start --no-seed --port 0 --state "${stateDir}"; true`;
    const npm = spawn('sh', ['-c', command], {
      cwd: REPO_ROOT,
      env: { ...process.env, npm_lifecycle_event: 'start' },
    });
    let output = '';
    npm.stdout.on('data', (b: Buffer) => (output += b.toString('utf8')));
    npm.stderr.on('data', (b: Buffer) => (output += b.toString('utf8')));
    const info = path.join(stateDir, 'runtime.json');
    runtimePid = await eventually(
      'the runtime to be up',
      () =>
        fs.existsSync(info)
          ? (JSON.parse(fs.readFileSync(info, 'utf8')) as { pid: number }).pid
          : undefined,
      60_000,
    );

    // Act: the process manager stops "npm" alone.
    npm.kill('SIGKILL');

    // Assess: the runtime notices, says why, and stops cleanly.
    const pid = runtimePid;
    await eventually('the runtime to stop', () => !alive(pid) || undefined, 20_000, 200);
    expect(output).toContain('npm, which ran this runtime, has exited: stopping…');
    expect(fs.existsSync(info)).toBe(false);
  }, 90_000);
});
