import fs from 'node:fs';
import path from 'node:path';
import type { RuntimeLog } from './log.ts';

/**
 * The runtime's log: JSON lines appended to a file in the state folder, so the terminal
 * stays for progress. Entries arrive already redacted (shared's logger) or carry only ids.
 */
export function fileLog(file: string): RuntimeLog {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const fd = fs.openSync(file, 'a', 0o600);
  const emit = (level: string, message: string, extra?: Record<string, unknown>) => {
    const { level: _l, message: _m, ...rest } = extra ?? {};
    fs.writeSync(
      fd,
      `${JSON.stringify({ timestamp: new Date().toISOString(), level, message, ...rest })}\n`,
    );
  };
  return {
    info: (m, e) => emit('info', m, e),
    warn: (m, e) => emit('warn', m, e),
    error: (m, e) => emit('error', m, e),
  };
}
