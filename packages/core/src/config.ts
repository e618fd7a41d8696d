import { crc32 } from "./crc32.js";
import { ConfigError } from "./errors.js";
import type { NodeId } from "./ids.js";

/** A node's configuration, every field resolved. Produced by `validateConfig`. */
export type Config = {
  /** This node. It must be one of `voters` or `learners` (unless a persisted membership says otherwise). */
  readonly id: NodeId;
  /** The initial voters, used when storage holds no membership yet. */
  readonly voters: readonly NodeId[];
  /** The initial learners: they receive the log but never vote or campaign. */
  readonly learners: readonly NodeId[];
  /**
   * Start empty, outside any configuration, and wait to be added: the node never campaigns and
   * takes its configuration from the leader's log or snapshot (`voters` and `learners` may be
   * empty and are not used). Only for a node whose storage holds nothing yet.
   */
  readonly join: boolean;
  /**
   * Followers campaign after a random timeout in [electionTimeoutTicks, electionTimeoutTicks +
   * electionJitterTicks): by default [T, 2T), the Raft paper's.
   */
  readonly electionTimeoutTicks: number;
  /**
   * The width of the election timeout's random range, in ticks; null (the default) for
   * `electionTimeoutTicks`. The range only has to spread candidates apart by more than an
   * election's round trips to avoid split votes (thesis §9.3: 150-200 ms worked as well as wider
   * ranges); a narrower one makes the first follower's timeout after a leader crash shorter
   * (median T + 0.29 × jitter with two followers) without lowering the stall a leader survives,
   * which is at least T whatever the jitter.
   */
  readonly electionJitterTicks: number | null;
  /** A leader sends a heartbeat this often; must be well below the election timeout. */
  readonly heartbeatIntervalTicks: number;
  /** Probe with a pre-vote before a real campaign (thesis §9.6), so a rejoining node does not disrupt. */
  readonly preVote: boolean;
  /** A leader that has not heard from a quorum within an election timeout steps down (thesis §6.2). */
  readonly checkQuorum: boolean;
  /**
   * Allow lease reads (thesis §6.4.1): a leader serves a `lease` read without a heartbeat round
   * while a quorum acknowledged a heartbeat it sent less than `electionTimeoutTicks − 2 −
   * leaseClockDriftTicks` ticks ago. Safe only because, with CheckQuorum, a follower that heard
   * from the leader refuses every vote for an election timeout (the vote lease, §4.2.3), so no
   * other leader can exist before then; `checkQuorum` is therefore required (ConfigError
   * otherwise). NB: this assumes bounded clock drift: no node's clock may run so much faster
   * than the leader's that its election timeout ends `leaseClockDriftTicks` ticks early. The
   * lease counts real time: `createNode` gives each tick the intervals of real time it stands
   * for (`elapsed`), so a leader whose process was paused (SIGSTOP, a long GC) does not trust
   * its lease on waking; an embedder driving the reducer must do the same. A node with lease reads on also refuses votes for its first
   * election timeout after a restart, since it forgot which leader it heard from.
   */
  readonly leaseReads: boolean;
  /**
   * How many ticks the lease is shortened by to cover clock drift between nodes (see
   * `leaseReads`): with timeouts of 10 ticks and clocks within 10% of each other, 1.
   */
  readonly leaseClockDriftTicks: number;
  /** At most this many AppendEntries in flight to one follower while replicating. */
  readonly inflightMessagesMax: number;
  /** An AppendEntries carries at most this many bytes of entries (always at least one entry). */
  readonly entriesBytesPerMessageMax: number;
  /**
   * At most this many bytes of entries in flight to one follower while replicating: a follower
   * is sent more only while fewer are unacknowledged, so large entries are paced by the
   * follower's acknowledgements instead of flooding the network (and the heartbeats behind them).
   */
  readonly inflightBytesMax: number;
  /** A command larger than this is refused (`entryTooLarge`) by every node, leader or not. */
  readonly entryBytesMax: number;
  /** A leader rejects proposals while its uncommitted tail holds more than this many bytes. */
  readonly uncommittedBytesMax: number;
  /** InstallSnapshot sends the snapshot in chunks of at most this many bytes. */
  readonly snapshotChunkBytesMax: number;
  /** After a snapshot, keep this many entries before it so slightly lagging followers catch up from the log. */
  readonly snapshotTrailingEntries: number;
  /**
   * Seeds the PRNG that randomises election timeouts and numbers forwarded reads; mixed with `id`
   * so nodes differ. Give each start of a node a seed of its own (createNode draws a random one
   * when you leave it out): a node restarted with its previous seed could take an answer to a
   * read of its previous life, still in flight, for a new read's, and serve that read stale.
   */
  readonly seed: number;
  /**
   * The CRC-32 (ISO-HDLC, zlib's) of `data` continuing from `previous` (see crc32.ts): a follower
   * checks every byte of a received snapshot with it before installing. By default the core's
   * own, in JavaScript, since the core imports nothing; on Node pass `node:zlib`'s `crc32`, which
   * is 3-4x faster: the core's took a sixth of a follower's CPU while it received a 200 MB
   * snapshot (issue 11). It must compute the same function, or every snapshot is refused.
   */
  readonly crc32: (data: Uint8Array, previous: number) => number;
};

/** What callers pass: `id` and `voters` are required, everything else has a default. */
export type ConfigInput = Pick<Config, "id" | "voters"> & Partial<Omit<Config, "id" | "voters">>;

/** The value of every optional `Config` field when `ConfigInput` leaves it out. */
export const configDefaults = {
  learners: [],
  join: false,
  electionTimeoutTicks: 10,
  electionJitterTicks: null,
  heartbeatIntervalTicks: 1,
  preVote: true,
  checkQuorum: true,
  leaseReads: false,
  leaseClockDriftTicks: 1,
  inflightMessagesMax: 256,
  entriesBytesPerMessageMax: 1024 * 1024,
  inflightBytesMax: 4 * 1024 * 1024,
  entryBytesMax: 1024 * 1024,
  uncommittedBytesMax: 64 * 1024 * 1024,
  snapshotChunkBytesMax: 256 * 1024,
  snapshotTrailingEntries: 1000,
  seed: 0,
  /** The core's own CRC-32, in JavaScript (crc32.ts). */
  crc32,
} as const satisfies Omit<Config, "id" | "voters">;

/** Fills defaults and checks every field; throws `ConfigError` naming the first bad one. */
export function validateConfig(input: ConfigInput): Config {
  if (typeof input !== "object" || input === null) {
    throw new ConfigError("(root)", "expected an object");
  }
  const config: Config = { ...configDefaults, ...definedOnly(input) };
  requireId("id", config.id);
  requireIdList("voters", config.voters);
  requireIdList("learners", config.learners);
  requireBoolean("join", config.join);
  checkMembers(config);
  requireInteger("electionTimeoutTicks", config.electionTimeoutTicks, 2);
  if (config.electionJitterTicks !== null) {
    requireInteger("electionJitterTicks", config.electionJitterTicks, 1);
  }
  requireInteger("heartbeatIntervalTicks", config.heartbeatIntervalTicks, 1);
  if (config.heartbeatIntervalTicks >= config.electionTimeoutTicks) {
    throw new ConfigError(
      "heartbeatIntervalTicks",
      `must be below electionTimeoutTicks (${config.heartbeatIntervalTicks} >= ${config.electionTimeoutTicks})`,
    );
  }
  requireBoolean("preVote", config.preVote);
  requireBoolean("checkQuorum", config.checkQuorum);
  checkLease(config);
  requireInteger("inflightMessagesMax", config.inflightMessagesMax, 1);
  requireInteger("entriesBytesPerMessageMax", config.entriesBytesPerMessageMax, 1);
  requireInteger("inflightBytesMax", config.inflightBytesMax, 1);
  requireInteger("entryBytesMax", config.entryBytesMax, 1);
  requireInteger("uncommittedBytesMax", config.uncommittedBytesMax, 1);
  requireInteger("snapshotChunkBytesMax", config.snapshotChunkBytesMax, 1);
  requireInteger("snapshotTrailingEntries", config.snapshotTrailingEntries, 0);
  requireInteger("seed", config.seed, Number.MIN_SAFE_INTEGER);
  if (typeof config.crc32 !== "function") throw new ConfigError("crc32", "expected a function");
  return Object.freeze({
    ...config,
    voters: Object.freeze([...config.voters]),
    learners: Object.freeze([...config.learners]),
  });
}

/** Lease reads rest on CheckQuorum's vote lease and need a lease of at least one tick. */
function checkLease(config: Config): void {
  requireBoolean("leaseReads", config.leaseReads);
  requireInteger("leaseClockDriftTicks", config.leaseClockDriftTicks, 0);
  if (!config.leaseReads) return;
  if (!config.checkQuorum) {
    throw new ConfigError(
      "leaseReads",
      "requires checkQuorum: without it followers grant votes while a leader's lease holds",
    );
  }
  if (leaseTicks(config) < 1) {
    throw new ConfigError(
      "leaseClockDriftTicks",
      `leaves no lease: electionTimeoutTicks - 2 - leaseClockDriftTicks must be at least 1`,
    );
  }
}

/**
 * An election timeout drawn from the random `value`: in [electionTimeoutTicks,
 * electionTimeoutTicks + electionJitterTicks) (Raft paper §5.2; the jitter defaults to the timeout).
 */
export function electionTimeoutFrom(config: Config, value: number): number {
  const base = config.electionTimeoutTicks;
  return base + (value % (config.electionJitterTicks ?? base));
}

/**
 * How many ticks after sending a heartbeat round that a quorum acknowledged a leader may still
 * serve lease reads (thesis §6.4.1). A follower refuses votes for `electionTimeoutTicks` of its
 * own ticks after hearing from the leader, but its first tick may come at once, and the leader's
 * tick count lags real time by up to one tick: one tick is lost on each side, and
 * `leaseClockDriftTicks` more for clocks that run at different rates.
 */
export function leaseTicks(config: Config): number {
  return config.electionTimeoutTicks - 2 - config.leaseClockDriftTicks;
}

/** The initial configuration must hold this node, unless it joins an existing cluster. */
function checkMembers(config: Config): void {
  for (const learner of config.learners) {
    if (config.voters.includes(learner)) {
      throw new ConfigError("learners", `${learner} is both a voter and a learner`);
    }
  }
  if (config.join) return;
  if (config.voters.length === 0) throw new ConfigError("voters", "at least one voter is needed");
  if (!config.voters.includes(config.id) && !config.learners.includes(config.id)) {
    throw new ConfigError("id", `${config.id} is neither a voter nor a learner`);
  }
}

// `{ preVote: undefined }` means "use the default", as it would with spread-free code.
function definedOnly<T extends object>(input: T): T {
  return Object.fromEntries(Object.entries(input).filter(([, value]) => value !== undefined)) as T;
}

function requireId(field: string, value: unknown): void {
  if (typeof value !== "string" || value.length === 0) {
    throw new ConfigError(field, `expected a non-empty string, got ${JSON.stringify(value)}`);
  }
}

function requireIdList(field: string, value: unknown): void {
  if (!Array.isArray(value)) throw new ConfigError(field, "expected an array of node ids");
  const seen = new Set<string>();
  value.forEach((id, i) => {
    requireId(`${field}[${i}]`, id);
    if (seen.has(id)) throw new ConfigError(field, `${id} is listed twice`);
    seen.add(id);
  });
}

function requireInteger(field: string, value: unknown, min: number): void {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < min) {
    throw new ConfigError(field, `expected a safe integer >= ${min}, got ${String(value)}`);
  }
}

function requireBoolean(field: string, value: unknown): void {
  if (typeof value !== "boolean")
    throw new ConfigError(field, `expected a boolean, got ${String(value)}`);
}
