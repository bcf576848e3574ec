import { openLocalState } from '../localState.ts';
import { UsageError, existingStateDir, parse, peekStateDir, stateDirOf } from './args.ts';
import { putFile } from './files.ts';
import { formatStatus, readStatus } from './status.ts';
import { DEFAULT_PORT, start } from './start.ts';
import { dlqCommand } from './dlq.ts';
import { liveRuntime, registerRuntimeCommand, runWithRuntime } from './control.ts';
import { predictCommand } from './predict.ts';
import { monitorCommand, runMonitor } from './monitor.ts';
import { demoDrift } from './demo.ts';
import { modelsCommand, trainCommand } from './modelsCommand.ts';
import { LocalRuntime } from '../runtime.ts';
import fs from 'node:fs';
import path from 'node:path';

registerRuntimeCommand('predict', predictCommand);
registerRuntimeCommand('monitor', monitorCommand);
registerRuntimeCommand('models', modelsCommand);
registerRuntimeCommand('train', trainCommand);

const USAGE = `usage: mlops <command> [options]            (every command takes --state DIR)

  start [--port N] [--no-seed] [--until-idle]   run the local mesh
  drop FILE                                     put FILE into raw/incoming/
  batch FILE                                    put FILE into batch-in/
  status [--json]                               stages, queues, the deployed model
  dlq list QUEUE | dlq redrive QUEUE            dead letters and their errors
  models list | status | show V | approve V [--reason R] | reject V --reason R | rollback --reason R [--to V]
  train [--reason TEXT] [--cutoff ISO]          request a training now
  predict --file F | --<feature> N … [--note T | --score N]
                                                one prediction through the running API
  monitor run                                   a drift analysis now
  demo drift                                    shifted traffic -> drift -> retraining

The state folder is --state DIR, else $MLOPS_STATE, else .mlops/ in the current folder.`;

type Command = (argv: string[]) => Promise<number>;

const commands: Record<string, Command> = {
  async start(argv) {
    const { values } = parse(argv, {
      port: { type: 'string' },
      'no-seed': { type: 'boolean', default: false },
      'until-idle': { type: 'boolean', default: false },
    });
    const port = values.port === undefined ? DEFAULT_PORT : Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535)
      throw new UsageError(`--port must be 0-65535, got ${values.port}`);
    return start({
      stateDir: stateDirOf(values.state),
      port,
      seed: !values['no-seed'],
      untilIdle: values['until-idle'],
    });
  },

  drop: (argv) => put(argv, 'raw', 'incoming/'),
  batch: (argv) => put(argv, 'batch-in', ''),

  async status(argv) {
    const { values } = parse(argv, {});
    const state = openLocalState(existingStateDir(stateDirOf(values.state)));
    try {
      const status = await readStatus(state);
      console.log(values.json ? JSON.stringify(status, null, 2) : formatStatus(status));
      return 0;
    } finally {
      state.close();
    }
  },

  dlq: dlqCommand,
  predict: (argv) => runWithRuntime(peekStateDir(argv), 'predict', argv),
  monitor: (argv) => runWithRuntime(peekStateDir(argv), 'monitor', argv),
  models: (argv) => runWithRuntime(peekStateDir(argv), 'models', argv),
  train: (argv) => runWithRuntime(peekStateDir(argv), 'train', argv),

  async demo(argv) {
    const { values, positionals } = parse(argv, {});
    if (positionals[0] !== 'drift') throw new UsageError('usage: mlops demo drift');
    const stateDir = stateDirOf(values.state);
    const out = (line = '') => console.log(line);
    const live = liveRuntime(stateDir);
    if (live) {
      const token = fs.readFileSync(path.join(stateDir, 'api-token'), 'utf8').trim();
      return demoDrift({
        apiUrl: live.apiUrl,
        token,
        out,
        status: async () => {
          const state = openLocalState(stateDir);
          try {
            return await readStatus(state);
          } finally {
            state.close();
          }
        },
        runMonitor: async () => {
          const res = await fetch(`${live.apiUrl}/_local/cli`, {
            method: 'POST',
            headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
            body: JSON.stringify({ command: 'monitor', argv: ['run', '--json'] }),
          });
          const answer = (await res.json()) as { output?: string };
          return JSON.parse(answer.output ?? '{}');
        },
      });
    }
    const runtime = await LocalRuntime.start({ stateDir, port: 0 });
    try {
      return await demoDrift({
        apiUrl: runtime.apiUrl,
        token: runtime.token,
        out,
        status: () => readStatus(runtime.state),
        runMonitor: () => runMonitor({ runtime, out }),
      });
    } finally {
      await runtime.stop();
    }
  },
};

async function put(argv: string[], bucket: string, prefix: string): Promise<number> {
  const { values, positionals } = parse(argv, {});
  if (positionals.length !== 1) throw new UsageError('expected exactly one FILE');
  const state = openLocalState(stateDirOf(values.state));
  try {
    const key = await putFile(state, positionals[0], bucket, prefix);
    console.log(`${bucket}/${key}: the runtime picks it up now, or at its next start`);
    return 0;
  } finally {
    state.close();
  }
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    console.log(USAGE);
    return name ? 0 : 2;
  }
  const command = commands[name];
  if (!command) {
    console.error(`unknown command "${name}"\n\n${USAGE}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(USAGE);
    return 0;
  }
  try {
    return await command(rest);
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`mlops ${name}: ${e.message}`);
      return 2;
    }
    console.error(`mlops ${name}: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  }
}
