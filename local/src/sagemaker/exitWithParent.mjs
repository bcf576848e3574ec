/**
 * Preloaded (`--import`) into every container process the local SageMaker starts, never into
 * the image. The runtime holds the child's stdin open and never writes to it; when the runtime
 * dies, even by kill -9, the pipe closes and the child stops itself (SIGTERM: `serve` closes
 * gracefully, `train` ends) instead of running on as an orphan holding memory and a port.
 * Plain JavaScript: a preload must not depend on the TypeScript loader being ready.
 */
import { isMainThread } from 'node:worker_threads';

// Preloads also run in worker threads (training uses them), whose stdin ends at once.
if (isMainThread) {
  const stop = () => process.kill(process.pid, 'SIGTERM');
  process.stdin.on('end', stop);
  process.stdin.on('error', stop);
  process.stdin.resume();
  // Watching must not keep a finished `train` alive.
  process.stdin.unref?.();
}
