import fs from 'node:fs';
import path from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { RUNTIME_DB_FILE } from '../db.ts';

/** Options every command takes. */
export const COMMON_OPTIONS = {
  state: { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const satisfies ParseArgsConfig['options'];

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export function parse<O extends NonNullable<ParseArgsConfig['options']>>(
  argv: string[],
  options: O,
) {
  try {
    return parseArgs({
      args: argv,
      options: { ...COMMON_OPTIONS, ...options },
      allowPositionals: true,
      strict: true,
    });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/** `--state DIR`, else MLOPS_STATE, else `.mlops/` in the current folder. */
export function stateDirOf(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(flag ?? env.MLOPS_STATE ?? '.mlops');
}

/**
 * The state folder of a command that reads what ran: refused when nothing has run there, so
 * a command typed in the wrong folder says so instead of creating an empty state and
 * reporting zeros (or starting a runtime) there. `start`, `drop` and `batch` create it.
 */
export function existingStateDir(stateDir: string): string {
  if (!fs.existsSync(path.join(stateDir, RUNTIME_DB_FILE)))
    throw new UsageError(
      `no state in ${stateDir}: nothing has run with this state folder (npm start creates it; or pass --state DIR)`,
    );
  return stateDir;
}

/** The state folder of a command line, read before the command itself parses it. */
export function peekStateDir(argv: string[]): string {
  const k = argv.findIndex((a) => a === '--state' || a.startsWith('--state='));
  const flag =
    k < 0 ? undefined : argv[k].includes('=') ? argv[k].slice('--state='.length) : argv[k + 1];
  return stateDirOf(flag);
}
