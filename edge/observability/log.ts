/**
 * Structured JSON logs, one object per line. Fields are an allow-listed shape
 * by convention (ids, codes, counts); as a second line of defence any field
 * whose name suggests secret or message content is replaced before writing,
 * so a careless call site cannot leak tokens, keys or ciphertext into logs.
 */
import type { LogLevel } from '../config.ts';

export type LogFields = Readonly<Record<string, string | number | boolean | null | undefined>>;

export interface Logger {
  debug(event: string, fields?: LogFields): void;
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
}

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Field names never written as given (matched case-insensitively as substrings). */
const REDACTED =
  /token|secret|key|signature|ciphertext|body|plaintext|challenge|password|authorization|cookie/i;

export function redact(fields: LogFields | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (fields === undefined) return out;
  for (const [name, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    out[name] = REDACTED.test(name) ? '[redacted]' : value;
  }
  return out;
}

export interface LogSink {
  write(line: string): void;
}

export function createLogger(
  level: LogLevel,
  sink: LogSink,
  now: () => number,
  base: LogFields = {},
): Logger {
  const min = RANK[level];
  function emit(lvl: LogLevel, event: string, fields: LogFields | undefined): void {
    if (RANK[lvl] < min) return;
    const record = {
      t: new Date(now()).toISOString(),
      level: lvl,
      event,
      ...redact(base),
      ...redact(fields),
    };
    try {
      sink.write(JSON.stringify(record));
    } catch {
      // Logging must never take the relay down.
    }
  }
  return {
    debug: (event, fields) => emit('debug', event, fields),
    info: (event, fields) => emit('info', event, fields),
    warn: (event, fields) => emit('warn', event, fields),
    error: (event, fields) => emit('error', event, fields),
  };
}

/** A logger that keeps lines in memory: for tests. */
export function memoryLogger(level: LogLevel = 'debug'): Logger & { readonly lines: string[] } {
  const lines: string[] = [];
  const logger = createLogger(level, { write: (line) => lines.push(line) }, () => 0);
  return Object.assign(logger, { lines });
}

export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};

/**
 * Error text safe for logs: drizzle appends bound parameters (which may be
 * ciphertext or keys) after "params:", so everything from there on is cut.
 */
export function safeErrorText(error: unknown): string | undefined {
  if (!(error instanceof Error)) return undefined;
  const code = (error as { code?: unknown }).code;
  const text = error.message.split(/params:/i)[0]?.slice(0, 200) ?? '';
  return typeof code === 'string' ? `${code}: ${text}` : text;
}
