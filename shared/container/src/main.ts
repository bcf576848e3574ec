/**
 * Container entrypoint: `train` or `serve` (SageMaker runs the image with one of them).
 *
 *   npm run container -- train     # SM_BASE_DIR (default /opt/ml)
 *   npm run container -- serve     # SM_BASE_DIR, SM_PORT (default 8080; 0 = any free port),
 *                                  # SM_HOST (default 0.0.0.0)
 *
 * serve prints one JSON line {"event":"listening","port":N} on stdout once it listens; other
 * log lines are JSON too and never hold request contents.
 */
import { DEFAULT_BASE_DIR, DEFAULT_PORT } from './paths.ts';
import { startServer } from './serve.ts';
import { trainFromDirectory } from './train.ts';

const log = (event: Record<string, unknown>): void => {
  process.stdout.write(`${JSON.stringify(event)}\n`);
};

function port(): number {
  const raw = process.env.SM_PORT;
  if (raw === undefined || raw === '') return DEFAULT_PORT;
  const p = Number(raw);
  if (!Number.isInteger(p) || p < 0 || p > 65535)
    throw new Error(`SM_PORT must be 0-65535, got ${raw}`);
  return p;
}

async function main(argv: string[]): Promise<number> {
  const command = argv[0];
  const baseDir = process.env.SM_BASE_DIR || DEFAULT_BASE_DIR;
  if (command === 'train') {
    try {
      await trainFromDirectory(baseDir, { log });
      return 0;
    } catch (err) {
      // The reason is already in output/failure; repeat it on stderr for the job log.
      process.stderr.write(
        `training failed: ${err instanceof Error ? err.message : String(err)}\n`,
      );
      return 1;
    }
  }
  if (command === 'serve') {
    const server = await startServer({
      baseDir,
      port: port(),
      host: process.env.SM_HOST || '0.0.0.0',
      log,
    });
    log({ event: 'listening', port: server.port });
    const stop = (signal: string): void => {
      log({ event: 'stopping', signal });
      server.close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
    return -1; // keep running
  }
  process.stderr.write('usage: main.ts train | serve\n');
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    process.exitCode = 1;
  },
);
