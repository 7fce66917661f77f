/**
 * Structured logs: one JSON object per line on stdout, so CloudWatch (and `jq` locally) can
 * filter by field. Every entry carries the request's correlation id when there is one.
 */

import { LOG_LEVELS, readConfig, type LogLevel } from './config';
import { withSourcePositions } from './source-positions';

export class Logger {
  constructor(
    private readonly level: LogLevel,
    private readonly context: Record<string, unknown> = {},
    private readonly write: (line: string) => void = (line) => process.stdout.write(line),
  ) {}

  with(context: Record<string, unknown>): Logger {
    return new Logger(this.level, { ...this.context, ...context }, this.write);
  }

  debug(message: string, fields?: Record<string, unknown>): void {
    this.log('debug', message, fields);
  }
  info(message: string, fields?: Record<string, unknown>): void {
    this.log('info', message, fields);
  }
  warn(message: string, fields?: Record<string, unknown>): void {
    this.log('warn', message, fields);
  }
  error(message: string, fields?: Record<string, unknown>): void {
    this.log('error', message, fields);
  }

  private log(level: Exclude<LogLevel, 'silent'>, message: string, fields: Record<string, unknown> = {}): void {
    if (LOG_LEVELS.indexOf(level) < LOG_LEVELS.indexOf(this.level)) return;
    const head = { timestamp: new Date().toISOString(), level, message, ...this.context };
    let line: string;
    try {
      line = JSON.stringify({ ...head, ...fields }, errorsAsObjects);
    } catch {
      // Logging must not fail the work it reports on: fields with a cycle, a BigInt or a getter
      // that throws are left out, and the entry says so.
      line = JSON.stringify({ ...head, unloggable: 'its fields could not be written as JSON' });
    }
    this.write(`${line}\n`);
  }
}

function errorsAsObjects(_key: string, value: unknown): unknown {
  // A stack overwritten with something else than text is written as it is.
  if (value instanceof Error) return { name: value.name, message: value.message, stack: typeof value.stack === 'string' ? withSourcePositions(value.stack) : value.stack };
  return value;
}

let root: Logger | undefined;

/** This instance's logger, at the level VTN_LOG_LEVEL sets. Light: no storage, no SDK. */
export function logger(): Logger {
  root ??= new Logger(readConfig().logLevel);
  return root;
}

export function resetLogger(): void {
  root = undefined;
}
