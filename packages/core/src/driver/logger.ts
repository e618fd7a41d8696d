// What the driver tells an operator, and through what. Core depends on no logging library: a
// Logger is one function, so pino, winston, the console or a test's array all fit in a line.

/** How much a log record matters, from chatty to fatal. */
export type LogLevel = "debug" | "info" | "warn" | "error";

/** The structured part of a log record: plain values an operator can filter on. */
export type LogFields = Readonly<Record<string, unknown>>;

/**
 * Where the driver's log records go (`NodeOptions.logger`). `message` is one short sentence;
 * `fields` always holds `node`, plus what the record is about (term, peer, index, reason...).
 */
export interface Logger {
  /** Records one event; must not throw (a throwing logger is ignored, never stops the node). */
  log(level: LogLevel, message: string, fields: LogFields): void;
}

const rank: Readonly<Record<LogLevel, number>> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Whether a record of `level` passes a threshold of `threshold`. */
export function levelPasses(level: LogLevel, threshold: LogLevel): boolean {
  return rank[level] >= rank[threshold];
}

type HostConsole = {
  readonly console: Readonly<Record<"debug" | "info" | "warn" | "error", (line: string) => void>>;
};

/**
 * A Logger writing one line per record to the host's console (any JS runtime): records below
 * `threshold` (default "info") are skipped. A node without a `logger` option logs nothing.
 */
export function consoleLogger(threshold: LogLevel = "info"): Logger {
  const host = globalThis as unknown as HostConsole;
  return {
    log(level, message, fields) {
      if (!levelPasses(level, threshold)) return;
      host.console[level](`${level.toUpperCase()} ${message} ${JSON.stringify(fields)}`);
    },
  };
}
