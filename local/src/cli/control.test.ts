import type { LocalRuntime } from '../runtime.ts';
import { UsageError } from './args.ts';
import { controlHandler, registerRuntimeCommand } from './control.ts';

describe('Function: controlHandler', () => {
  // A command run by the live runtime answers with the exit code it would have without one:
  // scripts branch on 2 (usage) against 1 (failure).
  registerRuntimeCommand('test-usage', async () => {
    throw new UsageError('expected exactly one FILE');
  });
  registerRuntimeCommand('test-failure', async () => {
    throw new Error('the disk is full');
  });
  registerRuntimeCommand('test-ok', async ({ out }) => {
    out('done');
    return 0;
  });
  const run = async (command: string) => {
    const res = await controlHandler({} as LocalRuntime)({
      body: JSON.stringify({ command, argv: [] }),
    });
    return JSON.parse(res.body) as { exitCode: number; output: string };
  };

  it.each([
    ['test-usage', 2, 'mlops test-usage: expected exactly one FILE\n'],
    ['test-failure', 1, 'mlops test-failure: the disk is full\n'],
    ['test-ok', 0, 'done\n'],
  ])('answers %s with exit code %i, as the CLI would', async (command, exitCode, output) => {
    expect(await run(command)).toEqual({ exitCode, output });
  });
});
