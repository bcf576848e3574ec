import fs from 'node:fs';
import path from 'node:path';
import { WDBC_FEATURES } from '@cancer-mlops/shared/contracts/featureGroup.ts';
import { LocalRuntime, REPO_ROOT } from '../runtime.ts';
import { stateLayout } from '../localState.ts';
import { readStatus } from './status.ts';
import { ProgressPrinter, progressLines } from './progress.ts';
import {
  CONTROL_PATH,
  controlHandler,
  liveRuntime,
  removeRuntimeInfo,
  writeRuntimeInfo,
} from './control.ts';

export const DEMO_FILE = path.join(REPO_ROOT, 'data', 'hospital-demo.csv');
export const DEFAULT_PORT = 4010;

export interface StartOptions {
  stateDir: string;
  port: number;
  seed: boolean;
  untilIdle: boolean;
  out?: NodeJS.WriteStream;
}

/** `mlops start`: runs the mesh until Ctrl-C, or with --until-idle until there is no work left. */
export async function start(o: StartOptions): Promise<number> {
  const out = o.out ?? process.stdout;
  const say = (s = '') => out.write(`${s}\n`);
  const layout = stateLayout(o.stateDir);
  const fresh = !fs.existsSync(path.join(o.stateDir, 'runtime.db'));
  const live = liveRuntime(o.stateDir);
  if (live) {
    say(
      `a runtime already runs on ${o.stateDir} (pid ${live.pid}, API ${live.apiUrl}); stop it first, or use --state DIR`,
    );
    return 1;
  }
  let runtime: LocalRuntime;
  try {
    runtime = await LocalRuntime.start({ stateDir: o.stateDir, port: o.port });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'EADDRINUSE') {
      say(`port ${o.port} is in use: is another runtime running? Choose another with --port N`);
      return 1;
    }
    throw e;
  }
  runtime.addLocalRoute('POST', CONTROL_PATH, controlHandler(runtime));
  writeRuntimeInfo(o.stateDir, runtime.apiUrl);
  const example = writeExampleRequest(o.stateDir);
  // The folders it prints exist, so a file can be copied in before anything was dropped.
  for (const folder of [layout.dropFolder, layout.batchFolder])
    fs.mkdirSync(folder, { recursive: true });
  say(`cancer-mlops local runtime${fresh ? ' (new state folder)' : ''}`);
  say(`  state folder  ${o.stateDir}`);
  say(`  drop folder   ${layout.dropFolder}   (or: npx mlops drop FILE)`);
  say(`  batch folder  ${layout.batchFolder}   (or: npx mlops batch FILE)`);
  say(`  API           ${runtime.apiUrl}`);
  say(`  log           ${layout.logFile}`);
  if (fresh && o.seed) {
    await runtime.state.objects.put(
      'raw',
      'incoming/hospital-demo.csv',
      fs.createReadStream(DEMO_FILE),
    );
    say(
      `  seeded        raw/incoming/hospital-demo.csv (569 WDBC records + synthetic pathology notes)`,
    );
  }
  say();

  const printer = new ProgressPrinter(out);
  let announced = false;
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    removeRuntimeInfo(o.stateDir);
    await runtime.stop();
  };
  const ready = () => {
    announced = true;
    say();
    say(`A model is serving. The API: ${runtime.apiUrl}   token: ${runtime.token}`);
    say(
      o.untilIdle
        ? `This --until-idle run stops now; with the runtime running (${startCommand(o)}), try:`
        : 'Try it:',
    );
    say(
      `  curl -s -X POST ${runtime.apiUrl}/predict -H 'Authorization: Bearer ${runtime.token}' ` +
        `-H 'content-type: application/json' -d @${displayPath(example)}`,
    );
    say(
      `Status: npx mlops status${o.stateDir === path.resolve('.mlops') ? '' : ` --state ${o.stateDir}`}`,
    );
    if (!o.untilIdle) say('Ctrl-C stops the runtime; the next start picks up where it left off.');
  };

  const tick = async () => {
    const status = await readStatus(runtime.state);
    printer.update(progressLines({ status, trainingRunning: runtime.training.runningJobs() }));
    if (!announced && status.model.deployed) ready();
  };
  const timer = setInterval(() => void tick().catch(() => undefined), 500);

  if (o.untilIdle) {
    await runtime.waitUntilIdle();
    clearInterval(timer);
    await tick();
    if (!announced) say('\nIdle: every queue is empty and no job is running.');
    await stop();
    return 0;
  }
  let orphanWatch: NodeJS.Timeout | undefined;
  await new Promise<void>((resolve) => {
    const onSignal = () => {
      say('\nstopping…');
      resolve();
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    // Under `npm start`, a signal to npm alone (a process manager stopping it) ends npm but does
    // not reach the runtime: when npm is gone, the runtime stops too instead of running on,
    // holding the port and the state folder.
    if (process.env.npm_lifecycle_event) {
      const parent = process.ppid;
      orphanWatch = setInterval(() => {
        if (process.ppid === parent) return;
        say('\nnpm, which ran this runtime, has exited: stopping…');
        resolve();
      }, 1000);
      orphanWatch.unref();
    }
  });
  clearInterval(orphanWatch);
  clearInterval(timer);
  await stop();
  return 0;
}

/** A path as short as it can be said from here: relative inside the current folder, else absolute. */
function displayPath(p: string): string {
  const rel = path.relative(process.cwd(), p);
  return rel && !rel.startsWith('..') ? rel : p;
}

/** A ready request body for the curl example: a real WDBC row and a short note. */
export function writeExampleRequest(stateDir: string): string {
  const file = path.join(stateDir, 'example-request.json');
  if (fs.existsSync(file)) return file;
  const row = fs
    .readFileSync(path.join(REPO_ROOT, 'data', 'wdbc.data'), 'utf8')
    .split('\n')[0]
    .split(',');
  const body: Record<string, unknown> = { record_id: 'example-1' };
  WDBC_FEATURES.forEach((name, k) => (body[name] = Number(row[k + 2])));
  body.pathology_note =
    'FINAL DIAGNOSIS: Left breast, core biopsy: invasive ductal carcinoma, grade 3. Lymphovascular invasion present.';
  fs.writeFileSync(file, `${JSON.stringify(body, null, 2)}\n`);
  return file;
}

/** The command that serves this state folder on this port again. */
function startCommand(o: StartOptions): string {
  const state = path.resolve(o.stateDir) === path.resolve('.mlops') ? '' : ` --state ${o.stateDir}`;
  const port = o.port === DEFAULT_PORT ? '' : ` --port ${o.port}`;
  return state || port ? `npx mlops start${state}${port}` : 'npm start';
}
