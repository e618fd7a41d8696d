import { Prng } from "@flotilla/transport-memory";
import { SimulationOptionsError } from "./errors.js";

// Swarm testing (Groce et al., "Swarm Testing", ISSTA 2012; TigerBeetle's VOPR): instead of one
// fixed mix of faults, the seed picks the scenario too. Some seeds run a quiet 3-node cluster with
// a slow disk, others a lossy 7-node cluster that partitions every few hundred milliseconds.
// A bug that needs "no loss but many crashes" is then found, where a fixed average mix would
// drown it in noise. Every option is printed with a failing seed, so a run can be read and
// replayed with any option changed on the command line.

/** How the network splits during the safety phase; `mixed` picks one of the others each time. */
export type PartitionPattern = "none" | "isolate" | "majority" | "bridge" | "asymmetric" | "mixed";

export const partitionPatterns: readonly PartitionPattern[] = [
  "none",
  "isolate",
  "majority",
  "bridge",
  "asymmetric",
  "mixed",
];

/**
 * Everything one simulated run depends on. Time is virtual milliseconds (the network's unit);
 * probabilities are per message, or per node per nominal tick for faults.
 */
export type SimulationOptions = {
  readonly seed: number;
  /** Voters: 3, 5, 7, or (three seeds in ten) one fewer, 2, 4, 6, whose quorums have no slack. */
  readonly nodeCount: NodeCount;
  /** Events (deliveries, ticks, disk completions, client and fault events) in the safety phase. */
  readonly steps: number;
  /** Virtual ms of one tick on a clock that runs exactly on time. */
  readonly tickMs: number;
  readonly electionTimeoutTicks: number;
  readonly heartbeatIntervalTicks: number;
  readonly preVote: boolean;
  readonly checkQuorum: boolean;
  /** Each node snapshots at random points this many applied entries apart on average; 0: never. */
  readonly snapshotEveryEntries: number;
  /**
   * 0: nodes snapshot by `snapshotEveryEntries`. Above 0: by the driver's default policy, the one
   * createNode runs (apply-tracker.ts): once the commands applied since the last snapshot hold
   * this fraction of its size, and at least `proportionalSnapshotLogBytesMin` bytes. Not drawn.
   */
  readonly snapshotLogRatio: number;
  /** Entries kept before a snapshot: small values force lagging followers onto InstallSnapshot. */
  readonly snapshotTrailingEntries: number;
  readonly snapshotChunkBytesMax: number;
  /**
   * Pattern bytes after the key-value bytes of every snapshot (snapshot-padding.ts), so that
   * transfers take many chunks; checked on every restore.
   */
  readonly snapshotPaddingBytes: number;
  /** Small values split replication into one entry per message: acks then cover log prefixes. */
  readonly entriesBytesPerMessageMax: number;
  readonly inflightMessagesMax: number;
  readonly latencyMinMs: number;
  readonly latencyMaxMs: number;
  /** The odd slow message: with this probability latency is up to `latencyTailMaxMs` instead. */
  readonly latencyTailProbability: number;
  readonly latencyTailMaxMs: number;
  readonly lossProbability: number;
  readonly duplicateProbability: number;
  readonly reorderProbability: number;
  readonly partitionPattern: PartitionPattern;
  /** Per nominal tick while the network is whole: the chance that a partition starts. */
  readonly partitionProbability: number;
  /** Per nominal tick while partitioned: the chance that the network heals. */
  readonly healProbability: number;
  /** Per running node per nominal tick: the chance that it crashes. */
  readonly crashProbability: number;
  /**
   * Per nominal tick: the chance that the current leader is crashed or cut off (half each).
   * Random faults mostly hit followers; Raft's hard cases start with a leader lost mid-flight.
   */
  readonly leaderFaultProbability: number;
  /**
   * Per nominal tick: the chance that the current leader is asked to hand leadership to a node
   * drawn at random (thesis §3.10; sometimes itself, which it refuses).
   */
  readonly transferProbability: number;
  /**
   * Per nominal tick: the chance that the current leader is asked for a membership change drawn
   * at random (thesis chapter 4: voters and learners added, promoted, demoted or removed, the
   * leader too, in one step or through a joint configuration; membership-workload.ts).
   */
  readonly membershipProbability: number;
  /**
   * Nodes besides the `nodeCount` initial voters that start empty, outside the configuration,
   * waiting to be added (`join`). 0 unless membership changes are on.
   */
  readonly spareNodeCount: number;
  /**
   * Per piece of snapshot I/O (a taken snapshot stored, a chunk read to send, a chunk received):
   * the chance that the node crashes right after, within the disk's latency, so that crashes hit
   * a snapshot being written, sent or received (snapshot-crashes.ts).
   */
  readonly snapshotCrashProbability: number;
  /**
   * Per down node per nominal tick, until one disk of the run is damaged: the chance that a sector
   * of a snapshot file on its disk goes bad at rest (a flipped bit that only a checksum can see).
   * The storage must find it at the next open and quarantine it; that node then repairs it from
   * the leader (it must have caught up after the heal). File disk only; drawn only for clusters of 3 or more voters without membership changes or amnesia
   * (the rest must keep a quorum without it).
   */
  readonly corruptionProbability: number;
  /**
   * A slow state machine (slow-state-machine.ts): each batch of entries applied takes this many
   * virtual ms (the turn waits), a snapshot streams into storage one 64-byte slice per this many
   * ms, and a restore takes this long per slice. 0: at once. File disk only.
   */
  readonly stateMachineDelayMs: number;
  /** Per crashed node per nominal tick: the chance that it restarts. */
  readonly restartProbability: number;
  readonly diskLatencyMinMs: number;
  readonly diskLatencyMaxMs: number;
  /** On a crash, the chance that the write in progress leaves a prefix of its entries behind. */
  readonly tornWriteProbability: number;
  /**
   * Per write: the chance that it takes one to three election timeouts longer than the disk's
   * latency (a slow disk: the node's turns wait for it, so a leader may be deposed meanwhile).
   */
  readonly slowWriteProbability: number;
  /**
   * Per running node per nominal tick: the chance that its disk fills up (only a few KiB left).
   * The storage then fails with ENOSPC and the node stops with `StorageFullError`, as
   * `createNode` does; space comes back at random later (and at the heal). File disk only.
   */
  readonly diskFullProbability: number;
  /**
   * Per fsync: the chance that it fails with EIO. The node stops with `StorageNeedsReopenError`
   * and restarts later on what the disk holds. File disk only; none after the heal.
   */
  readonly fsyncFailureProbability: number;
  /** Each node's clock runs at a rate drawn from [1 - clockSkew, 1 + clockSkew]. */
  readonly clockSkew: number;
  readonly clientCount: number;
  /** A client waits uniformly in [0, 2 × this] between operations: the proposal rate. */
  readonly clientThinkMeanMs: number;
  readonly keyCount: number;
  /** A client gives up on an operation after this long and records it as indeterminate. */
  readonly operationTimeoutMs: number;
  /** After the heal, within this many nominal ticks a leader must be elected and every client
   * must complete `livenessOperationsPerClient` operations. */
  readonly livenessBudgetTicks: number;
  readonly livenessOperationsPerClient: number;
  /**
   * Each node's storage: `file`, the FileStorage users run over a simulated page-cache file
   * system (the default); `memory`, the bare simulated disk (faster, coarser crashes). Not drawn.
   */
  readonly disk: DiskKind;
  /**
   * On a crash, the chance that the node comes back from an older copy of its data directory
   * (a backup taken earlier in the run) or from an empty one: amnesia, which Raft cannot make
   * safe. Not drawn (0 unless set, `--amnesia`): a run with amnesia holds the checkers to what
   * is still demanded of it (docs/testing.md, "Amnesia"), so the swarm's sweeps stay strict.
   */
  readonly amnesiaProbability: number;
  /**
   * The share of gets that clients issue as linearizable reads without a log write (the core's
   * `read` event: ReadIndex, and lease reads where the cluster allows them; a third of them sent
   * to a random node, so followers forward them to the leader); the rest go through the log. Not
   * drawn (0 unless set, `--read-share`), so runs without it replay as before; the read sweep
   * and the planted read defects set it.
   */
  readonly readShare: number;
  /**
   * Per running node per nominal tick: the chance that its process pauses (a long GC pause,
   * SIGSTOP, a VM descheduled) for up to `pauseMaxMs`: it neither ticks nor handles messages,
   * client requests or disk completions meanwhile, then wakes, where the driver's tick clock
   * counts the time that passed (node-clock.ts). Not drawn (0 unless set, `--pause-rate`).
   */
  readonly pauseProbability: number;
  /** The longest process pause, in virtual ms; each is drawn from [1 tick, this]. */
  readonly pauseMaxMs: number;
  /**
   * Per running node per nominal tick: the chance that its clock runs at the edge of the skew
   * bound for up to three election timeouts, slow (1 + clockSkew) or fast (1 - clockSkew): a
   * clock-rate fault inside the drift bound lease reads assume. Not drawn (0 unless set).
   */
  readonly clockFaultProbability: number;
  /**
   * Per TimeoutNow a leader sends (thesis §3.10): the chance that it is paused (up to an election
   * timeout) or cut off from what every other node sends it (up to three) right after, so its
   * successor's election and first commits happen while it still thinks it leads. Not drawn (0
   * unless set).
   */
  readonly timeoutNowFaultProbability: number;
  /**
   * A client whose request got no answer for this many virtual ms asks the servers who leads and
   * goes there, as the example's client does (kv-clients.ts): a stalled read is asked again
   * there, a stalled write is recorded as indeterminate. 0: clients wait for their timeout. Not
   * drawn (0 unless set).
   */
  readonly clientStallMs: number;
  /**
   * The first this many clients only issue gets, read with a lease where the run allows one, at
   * the node they think leads (a cache refreshing itself from the server that answers it): while
   * a leader that can no longer commit still answers reads, its readers stay and its writers
   * leave. Not drawn (0 unless set).
   */
  readonly readOnlyClients: number;
};

/** Cluster sizes the simulator runs: the odd ones and, drawn less often, the even ones. */
export type NodeCount = 2 | 3 | 4 | 5 | 6 | 7;

/** Which storage each simulated node runs: `FileStorage` on a simulated file system, or the bare simulated disk. */
export type DiskKind = "file" | "memory";

/** Options a caller may pin, overriding what the seed picked (the seed itself is separate). */
export type SimulationOverrides = Partial<Omit<SimulationOptions, "seed">>;

export const defaultSteps = 2_000;

/**
 * Derives a scenario from `seed`. Every option is drawn, in a fixed order, whether or not it is
 * overridden, so pinning one option never changes the others for the same seed.
 */
export function deriveOptions(
  seed: number,
  overrides: SimulationOverrides = {},
): SimulationOptions {
  const prng = new Prng(seed).fork("options");
  const oddNodeCount = prng.pick([3, 5, 5, 7] as const);
  const electionTimeoutTicks = prng.intBetween(5, 20);
  const heartbeatIntervalTicks = prng.intBetween(
    1,
    Math.max(1, Math.floor(electionTimeoutTicks / 4)),
  );
  const preVote = prng.chance(0.75);
  const checkQuorum = prng.chance(0.75);
  const entriesBytesPerMessageMax = prng.pick([1024 * 1024, 1024 * 1024, 64, 1]);
  const inflightMessagesMax = prng.pick([256, 256, 4, 1]);
  const tickMs = 10;
  const electionTimeoutMs = electionTimeoutTicks * tickMs;
  const latencyMinMs = prng.intBetween(0, 5);
  const latencyMaxMs = latencyMinMs + prng.intBetween(0, Math.floor(electionTimeoutMs / 4));
  const latencyTailProbability = prng.pick([0, 0, 0.001, 0.01, 0.05]);
  const latencyTailMaxMs = latencyMaxMs + prng.intBetween(0, electionTimeoutMs * 2);
  const lossProbability = prng.pick([0, 0, 0.01, 0.05, 0.2]) * prng.next();
  const duplicateProbability = prng.pick([0, 0, 0.02, 0.1]) * prng.next();
  const reorderProbability = prng.pick([0, 0.05, 0.2]) * prng.next();
  const partitionPattern = prng.pick(partitionPatterns);
  const partitionProbability = prng.pick([0.002, 0.01, 0.05]) * prng.next();
  const healProbability = 0.01 + prng.pick([0.02, 0.1, 0.3]) * prng.next();
  const crashProbability = prng.pick([0, 0, 0.0005, 0.002, 0.01]) * prng.next();
  const leaderFaultProbability = prng.pick([0, 0, 0.005, 0.02]) * prng.next();
  const restartProbability = 0.01 + prng.pick([0.02, 0.1, 0.5]) * prng.next();
  const diskLatencyMinMs = prng.intBetween(0, 2);
  const diskLatencyMaxMs = diskLatencyMinMs + prng.pick([0, 2, 10, 40]);
  const tornWriteProbability = prng.pick([0, 0.5, 1]);
  const clockSkew = prng.pick([0, 0, 0.1, 0.3, 0.5]);
  const clientCount = prng.intBetween(1, 5);
  const clientThinkMeanMs = prng.pick([1, 5, 20, 100]);
  const keyCount = prng.intBetween(1, 4);
  // Drawn last, so the options above stay what they were for every seed.
  const snapshotEveryEntries = prng.pick([0, 5, 20, 100]);
  const snapshotTrailingEntries = prng.pick([0, 3, 10, 50]);
  const snapshotChunkBytesMax = prng.pick([1, 8, 64, 64 * 1024]);
  // Storage faults, drawn after everything else for the same reason.
  const slowWriteProbability = prng.pick([0, 0, 0.005, 0.02]);
  const diskFullProbability = prng.pick([0, 0, 0.0005, 0.002]);
  const fsyncFailureProbability = prng.pick([0, 0, 0.002, 0.01]);
  // Even-sized clusters (a quorum of n/2 + 1: one failure fewer tolerated than n + 1 nodes, and
  // splits with no majority on either side): the odd size drawn above, one node fewer.
  const nodeCount = prng.chance(0.3) ? ((oddNodeCount - 1) as NodeCount) : oddNodeCount;
  // Leadership transfers, drawn last for the same reason.
  const transferProbability = prng.pick([0, 0, 0.002, 0.01]) * prng.next();
  // Membership changes, drawn last for the same reason. A run without them has no spare nodes,
  // so it replays as it did before they existed.
  const membershipProbability = prng.pick([0, 0.01, 0.03, 0.1]);
  const spareNodeCount = prng.pick([0, 1, 1, 2]);
  // Crashes in a snapshot's windows, drawn last for the same reason.
  const snapshotCrashProbability = prng.pick([0, 0, 0.05, 0.2]);
  // Sectors damaged at rest, drawn last for the same reason.
  const corruptionProbability = prng.pick([0, 0, 0.01, 0.05]);
  // A slow state machine, drawn last for the same reason.
  const stateMachineDelayMs = prng.pick([0, 0, 1, 5]);
  // Padded snapshots (tens of chunks at most, so a run's steps are not all one transfer).
  // Sized below from the chunk size in force (an override's too): 32 chunks' worth at most.
  const snapshotPadded = prng.chance(0.5);
  const derived: SimulationOptions = {
    seed,
    nodeCount,
    steps: defaultSteps,
    tickMs,
    electionTimeoutTicks,
    heartbeatIntervalTicks,
    preVote,
    checkQuorum,
    entriesBytesPerMessageMax,
    inflightMessagesMax,
    latencyMinMs,
    latencyMaxMs,
    latencyTailProbability,
    latencyTailMaxMs,
    lossProbability: round(lossProbability),
    duplicateProbability: round(duplicateProbability),
    reorderProbability: round(reorderProbability),
    partitionPattern,
    partitionProbability: round(partitionProbability),
    healProbability: round(healProbability),
    crashProbability: round(crashProbability),
    leaderFaultProbability: round(leaderFaultProbability),
    transferProbability: round(transferProbability),
    membershipProbability,
    spareNodeCount,
    snapshotCrashProbability,
    corruptionProbability,
    stateMachineDelayMs,
    restartProbability: round(restartProbability),
    diskLatencyMinMs,
    diskLatencyMaxMs,
    tornWriteProbability,
    slowWriteProbability,
    diskFullProbability,
    fsyncFailureProbability,
    clockSkew,
    clientCount,
    clientThinkMeanMs,
    keyCount,
    snapshotEveryEntries,
    snapshotLogRatio: 0,
    snapshotTrailingEntries,
    snapshotChunkBytesMax,
    snapshotPaddingBytes: 0,
    // Long enough for a leader change or two; an operation still open then is indeterminate.
    operationTimeoutMs: electionTimeoutMs * 6,
    // An election takes at most a few randomised timeouts once messages flow (split votes repeat
    // with falling probability); clients then need a few round trips each. 30 timeouts leaves a
    // wide margin even for a clock running 50% slow, so a miss means the cluster is stuck.
    livenessBudgetTicks: electionTimeoutTicks * 30,
    livenessOperationsPerClient: 3,
    disk: "file",
    amnesiaProbability: 0,
    readShare: 0,
    pauseProbability: 0,
    pauseMaxMs: electionTimeoutMs * 3,
    clockFaultProbability: 0,
    timeoutNowFaultProbability: 0,
    clientStallMs: 0,
    readOnlyClients: 0,
  };
  const options = { ...derived, ...definedOnly(overrides) };
  // NB: amnesia runs draw no membership changes unless asked for: a wiped node restarts from its
  // initial configuration, which nothing reconciles with one that moved on (it would have to
  // rejoin empty, with `join`), so the amnesia sweep stays about amnesia.
  const membershipOff =
    overrides.membershipProbability === undefined && options.amnesiaProbability > 0;
  const membership = membershipOff ? 0 : options.membershipProbability;
  const spares =
    overrides.spareNodeCount === undefined && membership === 0 ? 0 : options.spareNodeCount;
  // One node's disk may be damaged for good: the rest must keep a quorum of a configuration that
  // stays put, and amnesia runs demand that every node that lost data catches up. Not drawn where
  // either would not hold (set it to force it).
  const corruptionOff =
    overrides.corruptionProbability === undefined &&
    (options.nodeCount < 3 ||
      membership > 0 ||
      options.amnesiaProbability > 0 ||
      options.disk !== "file");
  const paddingBytes =
    overrides.snapshotPaddingBytes ??
    (snapshotPadded ? Math.min(32 * options.snapshotChunkBytesMax, 4096) : 0);
  return validateOptions({
    ...options,
    snapshotPaddingBytes: paddingBytes,
    membershipProbability: membership,
    spareNodeCount: spares,
    corruptionProbability: corruptionOff ? 0 : options.corruptionProbability,
    // The bare disk's state machine is never slow unless asked. Amnesia runs draw it as the
    // others do since the seed-14 livelock was fixed (5ad6c24; docs/testing.md).
    stateMachineDelayMs:
      overrides.stateMachineDelayMs === undefined && options.disk !== "file"
        ? 0
        : options.stateMachineDelayMs,
  });
}

/** Checks every option; throws `SimulationOptionsError` naming the first bad one. */
export function validateOptions(options: SimulationOptions): SimulationOptions {
  requireInteger("seed", options.seed, Number.MIN_SAFE_INTEGER);
  if (![2, 3, 4, 5, 6, 7].includes(options.nodeCount)) {
    throw new SimulationOptionsError("nodeCount", `must be 2 to 7, got ${options.nodeCount}`);
  }
  requireInteger("steps", options.steps, 1);
  requireInteger("tickMs", options.tickMs, 2);
  requireInteger("electionTimeoutTicks", options.electionTimeoutTicks, 2);
  requireInteger("heartbeatIntervalTicks", options.heartbeatIntervalTicks, 1);
  requireInteger("entriesBytesPerMessageMax", options.entriesBytesPerMessageMax, 1);
  requireInteger("inflightMessagesMax", options.inflightMessagesMax, 1);
  requireInteger("latencyMinMs", options.latencyMinMs, 0);
  requireInteger("latencyMaxMs", options.latencyMaxMs, options.latencyMinMs);
  requireInteger("latencyTailMaxMs", options.latencyTailMaxMs, options.latencyMaxMs);
  requireInteger("diskLatencyMinMs", options.diskLatencyMinMs, 0);
  requireInteger("diskLatencyMaxMs", options.diskLatencyMaxMs, options.diskLatencyMinMs);
  requireInteger("spareNodeCount", options.spareNodeCount, 0);
  if (options.spareNodeCount > 3) {
    throw new SimulationOptionsError(
      "spareNodeCount",
      `must be 0 to 3, got ${options.spareNodeCount}`,
    );
  }
  requireInteger("clientCount", options.clientCount, 1);
  requireInteger("clientThinkMeanMs", options.clientThinkMeanMs, 0);
  requireInteger("keyCount", options.keyCount, 1);
  requireInteger("snapshotEveryEntries", options.snapshotEveryEntries, 0);
  if (!(Number.isFinite(options.snapshotLogRatio) && options.snapshotLogRatio >= 0)) {
    throw new SimulationOptionsError(
      "snapshotLogRatio",
      `must be a number >= 0, got ${options.snapshotLogRatio}`,
    );
  }
  requireInteger("snapshotTrailingEntries", options.snapshotTrailingEntries, 0);
  requireInteger("snapshotChunkBytesMax", options.snapshotChunkBytesMax, 1);
  requireInteger("snapshotPaddingBytes", options.snapshotPaddingBytes, 0);
  requireInteger("stateMachineDelayMs", options.stateMachineDelayMs, 0);
  requireInteger("operationTimeoutMs", options.operationTimeoutMs, 1);
  requireInteger("livenessBudgetTicks", options.livenessBudgetTicks, 1);
  requireInteger("livenessOperationsPerClient", options.livenessOperationsPerClient, 0);
  requireInteger("pauseMaxMs", options.pauseMaxMs, 1);
  requireInteger("clientStallMs", options.clientStallMs, 0);
  requireInteger("readOnlyClients", options.readOnlyClients, 0);
  for (const field of [
    "latencyTailProbability",
    "lossProbability",
    "duplicateProbability",
    "reorderProbability",
    "partitionProbability",
    "healProbability",
    "crashProbability",
    "leaderFaultProbability",
    "transferProbability",
    "membershipProbability",
    "snapshotCrashProbability",
    "corruptionProbability",
    "restartProbability",
    "tornWriteProbability",
    "slowWriteProbability",
    "diskFullProbability",
    "fsyncFailureProbability",
    "amnesiaProbability",
    "readShare",
    "pauseProbability",
    "clockFaultProbability",
    "timeoutNowFaultProbability",
  ] as const) {
    const value = options[field];
    if (!(value >= 0 && value <= 1)) {
      throw new SimulationOptionsError(field, `must be a probability in [0, 1], got ${value}`);
    }
  }
  if (!(options.clockSkew >= 0 && options.clockSkew < 1)) {
    throw new SimulationOptionsError("clockSkew", `must be in [0, 1), got ${options.clockSkew}`);
  }
  if (options.disk !== "file" && options.disk !== "memory") {
    throw new SimulationOptionsError("disk", `must be file or memory, got ${String(options.disk)}`);
  }
  if (!partitionPatterns.includes(options.partitionPattern)) {
    throw new SimulationOptionsError(
      "partitionPattern",
      `must be one of ${partitionPatterns.join(", ")}, got ${String(options.partitionPattern)}`,
    );
  }
  return Object.freeze({ ...options });
}

/**
 * The core's lease settings for a run (thesis §6.4.1): lease reads need reads at all and
 * CheckQuorum, and a drift bound that covers the clock skew. A follower's tick may last as little
 * as (1 - clockSkew) nominal ticks and the leader's as much as (1 + clockSkew): a lease of L
 * leader ticks is safe while (L + 1)(1 + skew) <= (E - 1)(1 - skew), and the core's lease is
 * E - 2 - drift ticks. Null when no lease of at least one tick is safe.
 */
export function leaseSettings(
  options: SimulationOptions,
): { readonly leaseReads: true; readonly leaseClockDriftTicks: number } | null {
  if (options.readShare === 0 || !options.checkQuorum) return null;
  const e = options.electionTimeoutTicks;
  const skew = options.clockSkew;
  const safeTicks = Math.floor(((e - 1) * (1 - skew)) / (1 + skew)) - 1;
  const drift = e - 2 - safeTicks;
  return safeTicks >= 1 ? { leaseReads: true, leaseClockDriftTicks: Math.max(0, drift) } : null;
}

/** One option per line, `name=value`, in declaration order: what a failing run prints. */
export function formatOptions(options: SimulationOptions): string {
  return Object.entries(options)
    .map(([name, value]) => `  ${name}=${String(value)}`)
    .join("\n");
}

// Four significant decimals keep printed options short and exact: the printed value is the value.
function round(probability: number): number {
  return Math.round(probability * 10_000) / 10_000;
}

/**
 * The proportional policy's floor in the simulator (`snapshotLogRatio` above 0): a few of the
 * workload's small commands, so that a run's small state is snapshotted often, where createNode's
 * 8 MiB floor would never be reached.
 */
export const proportionalSnapshotLogBytesMin = 64;

function definedOnly<T extends object>(input: T): T {
  return Object.fromEntries(Object.entries(input).filter(([, value]) => value !== undefined)) as T;
}

function requireInteger(field: string, value: number, min: number): void {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new SimulationOptionsError(field, `must be a safe integer >= ${min}, got ${value}`);
  }
}
