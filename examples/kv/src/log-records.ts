// Reading the servers' JSON log back (tests, the demo, benchmarks): one pino record per line.

/** One record of a server's JSON log. */
export type LogRecord = {
  /** pino's numeric level: 20 debug, 30 info, 40 warn, 50 error. */
  readonly level: number;
  /** Milliseconds since the epoch. */
  readonly time: number;
  readonly node: string;
  readonly msg: string;
  readonly [field: string]: unknown;
};

/** The records in `text`; lines that are not JSON records (a runtime's warnings) are skipped. */
export function parseLogRecords(text: string): LogRecord[] {
  return text.split("\n").flatMap((line) => {
    const record = parseLine(line);
    return record === null ? [] : [record];
  });
}

/** `text` with every JSON record made readable and every other line kept as it was. */
export function readableLog(text: string): string[] {
  return text
    .trimEnd()
    .split("\n")
    .map((line) => {
      const record = parseLine(line);
      return record === null ? line : formatLogRecord(record);
    });
}

function parseLine(line: string): LogRecord | null {
  if (!line.startsWith("{")) return null;
  try {
    const record = JSON.parse(line) as Partial<LogRecord>;
    return typeof record.msg === "string" && typeof record.time === "number"
      ? (record as LogRecord)
      : null;
  } catch {
    return null; // a line cut short by a SIGKILL: nothing to read in it
  }
}

const levelNames: Readonly<Record<number, string>> = {
  20: "DEBUG",
  30: "INFO",
  40: "WARN",
  50: "ERROR",
};

/** One record as a readable line: `12:00:01.234 INFO a: became leader {"term":2,...}`. */
export function formatLogRecord(record: LogRecord): string {
  const { level, time, node, msg, pid: _pid, hostname: _host, ...fields } = record;
  const at = new Date(time).toISOString().slice(11, 23);
  const rest = Object.keys(fields).length === 0 ? "" : ` ${JSON.stringify(fields)}`;
  return `${at} ${levelNames[level] ?? level} ${node}: ${msg}${rest}`;
}
