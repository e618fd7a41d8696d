// What a simulated run depends on: the options a seed draws (derive-options.ts) or a caller pins,
// checked by validate-options.ts, and what follows from them for the run (the lease's drift bound).

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
   * Per restart in the safety phase: the chance that an on-path replayer sends the node again the
   * InstallSnapshot chunks delivered to it before (stale-replays.ts), so that a node repairing a
   * lost snapshot may be offered an older one. 0 unless set: never drawn.
   */
  readonly snapshotReplayProbability: number;
  /**
   * A slow state machine (slow-state-machine.ts): each batch of entries applied takes this many
   * virtual ms (the turn waits), a snapshot streams into storage one 64-byte slice per this many
   * ms, and a restore takes this long per slice. 0: at once. File disk only.
   */
  readonly stateMachineDelayMs: number;
  /**
   * Per batch of entries applied, in the safety phase: the chance that the state machine takes
   * one to three election timeouts over it (an application's apply that stalls on its own I/O or
   * a long collection), while the turn waits and events pile up in the node's inbox (with
   * asynchronous writes, the one way a leader's inbox still fills for that long). Not drawn (0
   * unless set, `--slow-apply`), so runs without it replay as before; its draws come from the
   * node's own "apply/<id>" stream.
   */
  readonly slowApplyProbability: number;
  /** Per crashed node per nominal tick: the chance that it restarts. */
  readonly restartProbability: number;
  readonly diskLatencyMinMs: number;
  readonly diskLatencyMaxMs: number;
  /** On a crash, the chance that the write in progress leaves a prefix of its entries behind. */
  readonly tornWriteProbability: number;
  /**
   * On a crash that tears a write: the chance that the sector it was writing is left scrambled
   * (up to 512 random bytes after the tear) rather than cut clean. FileStorage must cut such a
   * tail off as the torn write it is (no whole record after it). File disk only.
   */
  readonly tornGarbageProbability: number;
  /**
   * FileStorage's segment size on the default disk: a segment is rolled once it holds this many
   * bytes, and files no longer in force over a quarter of it are removed a quarter at a time,
   * each cut a disk latency (gradual-removal.ts). Small segments make many covered segments to
   * remove. File disk only.
   */
  readonly segmentBytesMax: number;
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
   * The share of those reads sent to a random node rather than the one the client thinks leads
   * (a follower forwards them to its leader: follower reads). Not drawn (1/3 unless set).
   */
  readonly readAnyNodeShare: number;
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
   * Per read index request a follower sends (a forwarded read, thesis §6.4): the chance that it
   * crashes within a network latency and restarts within another, so the leader's answer may reach
   * its next life, which forwards reads of its own meanwhile (read-index.ts, rule 7: the new
   * life must not take that answer for one of its requests). Not drawn (0 unless set).
   */
  readonly forwardedReadCrashProbability: number;
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
  /**
   * The read-only clients wait uniformly in [0, 2 × this] between gets instead of
   * `clientThinkMeanMs` (0: the same as the others): occasional readers, such as a fleet of
   * caches, each idle long enough to come back to the node it last saw lead after that node was
   * deposed. Not drawn (0 unless set).
   */
  readonly readerThinkMeanMs: number;
};

/** Cluster sizes the simulator runs: the odd ones and, drawn less often, the even ones. */
export type NodeCount = 2 | 3 | 4 | 5 | 6 | 7;

/** Which storage each simulated node runs: `FileStorage` on a simulated file system, or the bare simulated disk. */
export type DiskKind = "file" | "memory";

/** Options a caller may pin, overriding what the seed picked (the seed itself is separate). */
export type SimulationOverrides = Partial<Omit<SimulationOptions, "seed">>;

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

/**
 * The proportional policy's floor in the simulator (`snapshotLogRatio` above 0): a few of the
 * workload's small commands, so that a run's small state is snapshotted often, where createNode's
 * 8 MiB floor would never be reached.
 */
export const proportionalSnapshotLogBytesMin = 64;
