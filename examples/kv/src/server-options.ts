// The server's command line (node:util parseArgs). Every mistake is a UsageError that names the
// option, so `kv-server` fails at once with a sentence instead of a stack trace.

import { parseArgs } from "node:util";
import { type HostPort, parseAddressMap, parseHostPort, UsageError } from "./addresses.js";
import { type LogFormat, logLevels, type ServerLogLevel } from "./server-log.js";

export type ServerOptions = {
  readonly id: string;
  /** Every node's Raft (UDP) address, this node's included. */
  readonly peers: ReadonlyMap<string, HostPort>;
  /** Every node's client (HTTP) address, this node's included: followers redirect there. */
  readonly api: ReadonlyMap<string, HostPort>;
  /**
   * Join mode: the client addresses of members to ask for the cluster's addresses. The node
   * starts empty, outside the configuration, and waits to be added (`kv member add`); --peers
   * and --api then need to name only this node. null: a member of the initial configuration.
   */
  readonly join: readonly HostPort[] | null;
  /** Where the log lives with `--storage file`; null with `--storage memory`. */
  readonly dataDir: string | null;
  /** "file": durable (fsync) under dataDir; "memory": lost with the process, for benchmarks. */
  readonly storage: "file" | "memory";
  /** Fault injection: the share of outgoing Raft datagrams dropped at random (0: none). */
  readonly loss: number;
  /** Seed of those drops; each node mixes in its position in --peers. */
  readonly lossSeed: number;
  /** The largest command the node accepts (the core's entryBytesMax); larger PUTs get a 413. */
  readonly entryBytesMax: number;
  /**
   * The largest Raft datagram (the UDP transport's maxDatagramBytes); null: its default (1,232).
   * Without --max-datagram-bytes, 60,000 when every peer is on loopback (`loopbackDatagramBytes`).
   */
  readonly maxDatagramBytes: number | null;
  /** The cluster key; null only with an explicit --insecure. */
  readonly key: Uint8Array | null;
  readonly tickMs: number;
  readonly electionTicks: number;
  /** The width of the election timeout's random range (the core's electionJitterTicks). */
  readonly electionJitterTicks: number | null;
  /** Ticks between a leader's heartbeats (the core's heartbeatIntervalTicks). */
  readonly heartbeatTicks: number;
  /** Entries between snapshots; null: the driver's default policy, proportional to the state. */
  readonly snapshotEvery: number | null;
  /** The proportional policy's ratio of log to snapshot (the driver's `snapshotLogRatio`). */
  readonly snapshotLogRatio: number | null;
  /** Entries kept before a snapshot, so a slightly lagging follower catches up from the log. */
  readonly snapshotTrailing: number;
  readonly proposalTimeoutMs: number;
  readonly logLevel: ServerLogLevel;
  /** JSON lines, or readable lines (the default when stdout is a terminal). */
  readonly logFormat: LogFormat;
};

export const serverUsage = `usage: kv-server --id ID --peers ID=HOST:PORT,... --api ID=HOST:PORT,... --data-dir DIR
                 [--join HOST:PORT,...]
                 [--key-hex HEX | --insecure] [--tick-ms N] [--election-ticks N]
                 [--election-jitter-ticks N] [--heartbeat-ticks N]
                 [--snapshot-every N | --snapshot-log-ratio R] [--snapshot-trailing N]
                 [--proposal-timeout-ms N]
                 [--storage file|memory] [--loss P] [--loss-seed N] [--max-datagram-bytes N]
                 [--entry-bytes-max N] [--log-level debug|info|warn|error]
                 [--log-format json|pretty]

  --peers     every node's Raft address (UDP), this one's included; a bare port means 127.0.0.1
  --api       every node's client address (HTTP), same ids as --peers
  --join      start empty and wait to be added to a running cluster (kv member add): the client
              addresses of one or more members, asked for the cluster's addresses; --peers and
              --api then need to name only this node
  --data-dir  where this node keeps its log, hard state and snapshots (created if missing)
  --key-hex   the cluster key, at least 16 bytes as hex (or env FLOTILLA_KEY_HEX)
  --insecure  run without a key: anyone who can reach the UDP port can forge Raft messages
  --tick-ms   milliseconds per Raft tick (default 10); --election-ticks ticks per election
              timeout (default 20); --election-jitter-ticks the width of its random range
              (default: half of --election-ticks, a timeout in [T, 1.5T)); --heartbeat-ticks
              ticks between a leader's heartbeats (default 1)
  --snapshot-log-ratio  snapshot once the log since the last snapshot holds this fraction of
              its size, and at least 8 MiB (default 0.25: the driver's snapshotLogRatio);
              --snapshot-every N: every N entries instead; --snapshot-trailing entries kept
              before a snapshot (default 1000)
  --proposal-timeout-ms  how long a client request may wait for its commit (default 2000)
  --storage   file (default): the log on disk under --data-dir, fsynced; memory: in the process
              only (lost when it exits; for benchmarks; --data-dir not needed)
  --loss      fault injection: drop this share (0-1) of outgoing Raft datagrams at random
              (default 0); --loss-seed seeds the drops (default 1)
  --entry-bytes-max  the largest command (key, value and a few bytes) the cluster accepts; a
              larger one is answered 413 (default 1 MiB + 64 KiB: any 1 MiB value fits)
  --max-datagram-bytes  the largest Raft datagram (default 1232, safe on any network; 60000
              when every peer is on loopback, whose MTU is 64 KiB; larger ones also suit a known
              jumbo-frame network)
  --log-level  the least important records logged (default info)
  --log-format json: one JSON object per line (the default unless stdout is a terminal);
              pretty: readable lines (the default on a terminal)`;

export function parseServerOptions(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  stdoutIsTerminal = false,
): ServerOptions | "help" {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        id: { type: "string" },
        peers: { type: "string" },
        api: { type: "string" },
        join: { type: "string" },
        "data-dir": { type: "string" },
        "key-hex": { type: "string" },
        insecure: { type: "boolean" },
        "tick-ms": { type: "string" },
        "election-ticks": { type: "string" },
        "election-jitter-ticks": { type: "string" },
        "heartbeat-ticks": { type: "string" },
        "snapshot-every": { type: "string" },
        "snapshot-log-ratio": { type: "string" },
        "snapshot-trailing": { type: "string" },
        "proposal-timeout-ms": { type: "string" },
        storage: { type: "string" },
        loss: { type: "string" },
        "loss-seed": { type: "string" },
        "max-datagram-bytes": { type: "string" },
        "entry-bytes-max": { type: "string" },
        "log-level": { type: "string" },
        "log-format": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help === true) return "help";
  const id = required(values, "id");
  const peers = parseAddressMap("peers", required(values, "peers"));
  const api = parseAddressMap("api", required(values, "api"));
  if (!peers.has(id)) throw new UsageError(`--peers must include this node (${id})`);
  for (const peer of peers.keys()) {
    if (!api.has(peer)) throw new UsageError(`--api has no address for node ${peer}`);
  }
  for (const node of api.keys()) {
    if (!peers.has(node)) throw new UsageError(`--api names ${node}, which is not in --peers`);
  }
  const storage = values.storage ?? "file";
  if (storage !== "file" && storage !== "memory") {
    throw new UsageError(`--storage: expected file or memory, got ${JSON.stringify(storage)}`);
  }
  const electionTicks = integer(values, "election-ticks", 20, 2);
  const heartbeatTicks = integer(values, "heartbeat-ticks", 1, 1);
  if (heartbeatTicks >= electionTicks) {
    // Refused here, with the flags' names, rather than by the core's ConfigError at start.
    throw new UsageError(
      `--heartbeat-ticks (${heartbeatTicks}) must be below --election-ticks (${electionTicks})`,
    );
  }
  return {
    id,
    peers,
    api,
    join: values.join === undefined ? null : joinTargets(values.join as string),
    dataDir: storage === "file" ? required(values, "data-dir") : null,
    storage,
    loss: share(values, "loss"),
    lossSeed: integer(values, "loss-seed", 1, 0),
    // The HTTP API takes bodies up to 1 MiB; the key and the command's header come on top.
    entryBytesMax: integer(values, "entry-bytes-max", 1024 * 1024 + 64 * 1024, 1),
    maxDatagramBytes:
      values["max-datagram-bytes"] === undefined
        ? defaultDatagramBytes(peers)
        : integer(values, "max-datagram-bytes", 0, 1),
    key: key(values, env),
    tickMs: integer(values, "tick-ms", 10, 1),
    // 20 ticks of 10 ms: a follower campaigns after 200-400 ms without a leader. With 10 (the
    // core's default), the leader lost its leadership in every bench kv run on this shared 2-core
    // machine, whose processes are descheduled for up to ~300 ms at a time; with 20 or 30, in
    // none (docs/benchmarks.md, kv). The first of two followers times out after the minimum of
    // two draws, ~260 ms at the median with 20 (~390 with 30), and that is most of what a
    // crashed, frozen or cut-off leader costs a client (bench failover): 20 is the shortest
    // timeout measured safe under load.
    electionTicks,
    // A timeout drawn from [T, 1.5T) rather than the paper's [T, 2T): the first of two followers
    // campaigns after ~235 ms at the median instead of ~270, and the kill failover median fell
    // from 302 to 239 ms on the idle machine (bench failover, back to back, docs/benchmarks.md),
    // with no extra election there and none in bench kv under load at this width.
    electionJitterTicks:
      values["election-jitter-ticks"] === undefined
        ? Math.max(1, Math.round(electionTicks / 2))
        : integer(values, "election-jitter-ticks", 0, 1),
    // A heartbeat every tick (10 ms): 20 per election timeout. Fewer (3 ticks) saved about a
    // third of an idle cluster's CPU but nothing measurable per PUT at 1 client (session 15,
    // docs/benchmarks.md), so the default keeps the margin against loss.
    heartbeatTicks,
    // By default the snapshots follow the state's size (the driver's proportional policy): a
    // fixed 10,000 entries rewrote a 200 MB state every 10 MB of writes (bench growth).
    snapshotEvery:
      values["snapshot-every"] === undefined ? null : integer(values, "snapshot-every", 0, 1),
    snapshotLogRatio: ratio(values, "snapshot-log-ratio"),
    // A follower a little behind catches up from the log; one further behind gets the snapshot
    // (InstallSnapshot). 1,000 entries is a fraction of a second of traffic at full speed.
    snapshotTrailing: integer(values, "snapshot-trailing", 1000, 0),
    proposalTimeoutMs: integer(values, "proposal-timeout-ms", 2000, 1),
    logLevel: oneOf(values, "log-level", logLevels, "info"),
    logFormat: oneOf(
      values,
      "log-format",
      ["json", "pretty"],
      stdoutIsTerminal ? "pretty" : "json",
    ),
  };
}

function oneOf<const T extends string>(
  values: Record<string, unknown>,
  name: string,
  allowed: readonly T[],
  fallback: T,
): T {
  const value = values[name];
  if (value === undefined) return fallback;
  if (!allowed.includes(value as T)) {
    throw new UsageError(`--${name}: expected ${allowed.join(", ")}, got ${JSON.stringify(value)}`);
  }
  return value as T;
}

function required(values: Record<string, unknown>, name: string): string {
  const value = values[name];
  if (typeof value !== "string" || value === "") throw new UsageError(`--${name} is required`);
  return value;
}

/** A positive number (a fraction or more), or null when the flag is absent. */
function ratio(values: Record<string, unknown>, name: string): number | null {
  const value = values[name];
  if (value === undefined) return null;
  const n = Number(value);
  if (typeof value !== "string" || !/^[0-9.]+$/.test(value) || !Number.isFinite(n) || n <= 0) {
    throw new UsageError(`--${name}: expected a positive number, got ${JSON.stringify(value)}`);
  }
  return n;
}

function integer(values: Record<string, unknown>, name: string, fallback: number, min: number) {
  const value = values[name];
  if (value === undefined) return fallback;
  const n = Number(value);
  if (typeof value !== "string" || !/^[0-9]+$/.test(value) || !Number.isSafeInteger(n) || n < min) {
    throw new UsageError(`--${name}: expected an integer >= ${min}, got ${JSON.stringify(value)}`);
  }
  return n;
}

/** The members a joining node asks: "host:port" (or a bare port, on loopback), comma-separated. */
function joinTargets(text: string): HostPort[] {
  const targets = text.split(",").filter((part) => part.trim() !== "");
  if (targets.length === 0) throw new UsageError("--join: no member address given");
  return targets.map((part) => {
    const target = parseHostPort(part.replace(/^https?:\/\//, ""));
    if (target === null) {
      throw new UsageError(`--join: expected host:port, got ${JSON.stringify(part)}`);
    }
    return target;
  });
}

/** A number in [0, 1], 0 when absent. */
function share(values: Record<string, unknown>, name: string): number {
  const value = values[name];
  if (value === undefined) return 0;
  const n = Number(value);
  if (typeof value !== "string" || !/^[0-9]*\.?[0-9]+$/.test(value) || !(n >= 0 && n <= 1)) {
    throw new UsageError(`--${name}: expected a number from 0 to 1, got ${JSON.stringify(value)}`);
  }
  return n;
}

function key(
  values: Record<string, unknown>,
  env: Readonly<Record<string, string | undefined>>,
): Uint8Array | null {
  const hex = (values["key-hex"] as string | undefined) ?? env.FLOTILLA_KEY_HEX;
  if (values.insecure === true) {
    if (hex !== undefined) throw new UsageError("--insecure cannot be combined with a key");
    return null;
  }
  if (hex === undefined) {
    throw new UsageError(
      "a cluster key is required: --key-hex HEX or FLOTILLA_KEY_HEX (or --insecure)",
    );
  }
  if (!/^(?:[0-9a-fA-F]{2}){16,}$/.test(hex)) {
    throw new UsageError(
      "the cluster key must be at least 16 bytes written as hex (32+ hex digits)",
    );
  }
  return Uint8Array.from(Buffer.from(hex, "hex"));
}

/**
 * The datagram size a loopback-only cluster gets by default: a 1 MiB entry in 18 datagrams
 * instead of 870 (loopback's MTU is 64 KiB, so nothing is fragmented below UDP; the transport's
 * 8 MiB socket buffers hold 140 of them). docs/benchmarks.md, "1 MiB values and datagram size".
 */
export const loopbackDatagramBytes = 60_000;

/** `loopbackDatagramBytes` when every peer is on loopback, else null (the transport's 1,232). */
function defaultDatagramBytes(peers: ReadonlyMap<string, HostPort>): number | null {
  for (const { host } of peers.values()) if (!isLoopback(host)) return null;
  return loopbackDatagramBytes;
}

function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host);
}
