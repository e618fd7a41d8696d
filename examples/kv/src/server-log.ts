// The server's log: JSON lines through pino (one object per line, for log shippers and tests), or
// a human-readable line per record for a terminal (pino-pretty, written synchronously so the last
// lines before an exit are never lost). The node's own records (role changes and why, peers gone
// silent, bad messages, slow writes...) come through the same logger, via `nodeLogger`.

import type { Logger as NodeLogger } from "@flotilla/core";
import { type Logger, pino } from "pino";
import pretty from "pino-pretty";

/** How the log is written: JSON lines, or readable lines for a terminal. */
export type LogFormat = "json" | "pretty";

/** The levels an operator can ask for with `--log-level`. */
export const logLevels = ["debug", "info", "warn", "error"] as const;
export type ServerLogLevel = (typeof logLevels)[number];

/** The server's logger: every record carries `node`, the server's id. */
export function createServerLog(id: string, level: ServerLogLevel, format: LogFormat): Logger {
  const options = { level, base: { node: id, pid: process.pid } };
  if (format === "json") return pino(options, pino.destination({ sync: true }));
  const stream = pretty({
    sync: true,
    colorize: process.stdout.isTTY === true,
    translateTime: "HH:MM:ss.l",
    ignore: "pid,hostname,node",
    singleLine: true,
    messageFormat: "{node}: {msg}",
  });
  return pino(options, stream);
}

/** The node's logger (`createNode({ logger })`) writing through the server's. */
export function nodeLogger(log: Logger): NodeLogger {
  return {
    log(level, message, fields) {
      // `node` is already bound to every record of this server's logger.
      const { node: _node, ...rest } = fields;
      log[level](rest, message);
    },
  };
}
