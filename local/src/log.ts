/**
 * The little the runtime's building blocks need from a logger. It is structurally the same
 * as shared's `Log` (createLogger), so the mesh can pass that one; the default writes JSON
 * lines to stderr. Messages are ours; extras carry ids and error messages, never payloads.
 */
export interface RuntimeLog {
  info(message: string, extra?: Record<string, unknown>): void;
  warn(message: string, extra?: Record<string, unknown>): void;
  error(message: string, extra?: Record<string, unknown>): void;
}

export function stderrLog(component: string): RuntimeLog {
  const emit = (level: string, message: string, extra?: Record<string, unknown>) => {
    process.stderr.write(
      `${JSON.stringify({ level, component, message, timestamp: new Date().toISOString(), ...extra })}\n`,
    );
  };
  return {
    info: (m, e) => emit('info', m, e),
    warn: (m, e) => emit('warn', m, e),
    error: (m, e) => emit('error', m, e),
  };
}

/** For tests and for callers that collect problems themselves. */
export const silentLog: RuntimeLog = { info: () => {}, warn: () => {}, error: () => {} };

/** An error's message without its stack: enough to say why, short enough for a dead letter. */
export function errorMessage(e: unknown): string {
  if (e instanceof Error) return `${e.name}: ${e.message}`;
  return String(e);
}
