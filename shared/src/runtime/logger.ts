import { Logger } from '@aws-lambda-powertools/logger';
import { redact, redactingReplacer } from './redact.ts';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export interface LogEntry {
  level: LogLevel;
  service: string;
  message: string;
  timestamp: string;
  [key: string]: unknown;
}
export type LogSink = (entry: LogEntry) => void;

/** The local runtime routes every handler's log to its own file instead of stdout. */
let sink: LogSink | undefined;
export function setLogSink(s: LogSink | undefined): void {
  sink = s;
}

export interface Log {
  debug(message: string, extra?: Record<string, unknown>): void;
  info(message: string, extra?: Record<string, unknown>): void;
  warn(message: string, extra?: Record<string, unknown>): void;
  error(message: string, extra?: Record<string, unknown>): void;
}

/**
 * A logger that cannot leak note text or patient identifiers: every extra field goes through
 * the redacting replacer, on AWS (powertools' jsonReplacerFn) and locally alike. Messages
 * are written by us and must stay free of data values.
 */
export function createLogger(service: string): Log {
  let powertools: Logger | undefined;
  const emit = (level: LogLevel, message: string, extra?: Record<string, unknown>) => {
    if (sink) {
      sink({
        ...redact(extra ?? {}),
        level,
        service,
        message,
        timestamp: new Date().toISOString(),
      });
      return;
    }
    powertools ??= new Logger({ serviceName: service, jsonReplacerFn: redactingReplacer });
    if (extra) powertools[level](message, redact(extra));
    else powertools[level](message);
  };
  return {
    debug: (m, e) => emit('debug', m, e),
    info: (m, e) => emit('info', m, e),
    warn: (m, e) => emit('warn', m, e),
    error: (m, e) => emit('error', m, e),
  };
}
