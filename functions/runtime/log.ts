/**
 * Structured logs: one JSON object per line on stderr, the shape log collectors parse.
 *
 * Not pino: pino's transports live in worker files that a single-file bundle cannot carry, and a
 * function that logs a handful of lines per call needs none of them. Callers pass only what is safe
 * to log; nothing here ever sees connection details.
 */
export class Logger {
  constructor(
    readonly debugEnabled: boolean,
    private readonly write: (line: string) => void = (line) => process.stderr.write(line),
  ) {}

  private emit(level: string, msg: string, fields?: Record<string, unknown>): void {
    this.write(`${JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields })}\n`);
  }

  debug(msg: string, fields?: Record<string, unknown>): void {
    if (this.debugEnabled) this.emit("debug", msg, fields);
  }

  info(msg: string, fields?: Record<string, unknown>): void {
    this.emit("info", msg, fields);
  }

  warn(msg: string, fields?: Record<string, unknown>): void {
    this.emit("warn", msg, fields);
  }

  error(msg: string, fields?: Record<string, unknown>): void {
    this.emit("error", msg, fields);
  }
}
