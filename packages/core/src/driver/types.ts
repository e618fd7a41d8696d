import type { Emitter } from "mitt";
import type { MembershipChange } from "../confchange.js";
import type { ConfigInput } from "../config.js";
import type { Role } from "../effect.js";
import type { Membership } from "../entry.js";
import type { FlotillaError } from "../errors.js";
import type { ReadConsistency } from "../event.js";
import type { Index, NodeId, Term } from "../ids.js";
import type { StateMachine, Storage, Transport } from "../interfaces.js";
import type { Status } from "../status.js";
import type { CatchUpOptions } from "./catch-up.js";
import type { Logger } from "./logger.js";
import type { Scheduler } from "./scheduler.js";
import type { NodeStats } from "./stats.js";

/** Everything `createNode` takes: the core's configuration plus what plugs in around it. */
export type NodeOptions<Result = unknown> = ConfigInput & {
  readonly transport: Transport;
  readonly storage: Storage;
  readonly stateMachine: StateMachine<Result>;
  /**
   * Real milliseconds per core tick: election and heartbeat timeouts are counted in ticks.
   * Default 100 (`driverDefaults.tickMs`).
   */
  readonly tickMs?: number;
  /** Timers and microtasks; the host's by default. Inject a virtual clock in tests. */
  readonly scheduler?: Scheduler;
  /**
   * Default timeout of `propose`, in milliseconds: a proposal not settled by then rejects with
   * TimeoutError (its entry may still commit). Default 10,000 (`driverDefaults.proposalTimeoutMs`).
   */
  readonly proposalTimeoutMs?: number;
  /**
   * Snapshot the state machine and compact the log once this many entries were applied since the
   * last snapshot. When this and `snapshotEveryBytes` are both absent, the proportional policy
   * (`snapshotLogRatio`, `snapshotLogBytesMin`) decides.
   */
  readonly snapshotEveryEntries?: number;
  /**
   * Also snapshot once the commands applied since the last snapshot hold this many bytes, so a
   * log of large commands is compacted as promptly as one of many small ones.
   */
  readonly snapshotEveryBytes?: number;
  /**
   * The default snapshot policy, which scales with the state: snapshot once the commands applied
   * since the last snapshot hold this fraction of that snapshot's size (and at least
   * `snapshotLogBytesMin`). A snapshot rewrites the whole state, so a fixed count of entries
   * costs more per write as the state grows; a ratio bounds the snapshot bytes written per
   * command byte at (1 + ratio) / ratio while the state grows, at the price of a log of up to
   * ratio x the state (held in memory, replayed after a restart). Default 0.25
   * (`driverDefaults.snapshotLogRatio`). Ignored when `snapshotEveryEntries` or
   * `snapshotEveryBytes` is set.
   */
  readonly snapshotLogRatio?: number;
  /**
   * The proportional policy's floor: no snapshot before the commands applied since the last one
   * hold this many bytes. Default 8 MiB (`driverDefaults.snapshotLogBytesMin`).
   */
  readonly snapshotLogBytesMin?: number;
  /**
   * Where the node reports what an operator needs: role changes and why, elections, peers gone
   * silent or back, bad messages from peers (rate-limited), lost logs, slow storage writes,
   * snapshots, failures. Absent: the node logs nothing (`consoleLogger()` prints to the console).
   */
  readonly logger?: Logger;
};

/** Options of one `propose` call. */
export type ProposeOptions = {
  /** Reject with TimeoutError after this long; overrides `proposalTimeoutMs`. */
  readonly timeoutMs?: number;
};

/** Options of one `read` call. */
export type ReadOptions = {
  /** Reject with TimeoutError after this long; overrides `proposalTimeoutMs`. */
  readonly timeoutMs?: number;
  /**
   * `readIndex` (default): the leader confirms it still leads with a heartbeat round acknowledged
   * by a quorum (thesis §6.4). `lease`: a leader skips the round while its lease holds (§6.4.1;
   * needs the node option `leaseReads`, which needs `checkQuorum`; it assumes bounded clock drift,
   * see `leaseClockDriftTicks`). On a follower both ask the leader for a read index.
   */
  readonly consistency?: ReadConsistency;
};

/** Options of one membership change. */
export type ChangeMembershipOptions = {
  /** Reject with TimeoutError after this long; overrides `proposalTimeoutMs`. */
  readonly timeoutMs?: number;
  /** Promote a learner even though it lags behind the commit index (thesis §4.2.1 warns why). */
  readonly force?: boolean;
};

/** Options of `transferLeadership`. */
export type TransferLeadershipOptions = {
  /**
   * Reject with TimeoutError if this node has not seen the target lead after this long; overrides
   * `proposalTimeoutMs`. The core gives up by itself after an election timeout (then the promise
   * rejects with LeadershipTransferFailedError), so this only bounds the wait for news of the
   * outcome (a leader that stepped down and is cut off may never hear who won).
   */
  readonly timeoutMs?: number;
};

/** A node's life: created → starting → running → stopping → stopped, or failed from any. */
export type NodePhase = "created" | "starting" | "running" | "stopping" | "stopped" | "failed";

/**
 * A node's state at one moment, from `FlotillaNode.status()`: what an operator or a health check
 * reads.
 */
export type NodeStatus = {
  readonly id: NodeId;
  readonly phase: NodePhase;
  readonly role: Role;
  readonly term: Term;
  readonly leader: NodeId | null;
  /** The highest index this node knows to be committed. */
  readonly commitIndex: Index;
  /** The last index applied to the state machine. */
  readonly appliedIndex: Index;
  /** The last index in this node's log (durable or not). */
  readonly lastLogIndex: Index;
  /** The index of the latest durable snapshot, taken and stored or installed (0 if none). */
  readonly snapshotIndex: Index;
  /**
   * The index of a snapshot captured and still being stored (null if none): it replaces
   * `snapshotIndex`, and the log is compacted, only once its bytes are durable.
   */
  readonly snapshotStoringIndex: Index | null;
  /** Proposals waiting for an outcome. */
  readonly pendingProposals: number;
  /** Reads waiting to be served. */
  readonly pendingReads: number;
  /** The configuration in force here: voters, outgoing voters (joint) and learners. */
  readonly membership: Membership;
  /** Leader only: what it knows of each other member's log. */
  readonly progress?: Status["progress"];
  /** Bad messages from peers the core dropped (reported, never thrown). */
  readonly droppedMessages: number;
};

/** The events a node emits through mitt. */
export type NodeEvents = {
  /** The role, term or known leader changed. */
  role: { readonly role: Role; readonly term: Term; readonly leader: NodeId | null };
  /** The known leader changed (null: none known). */
  leader: { readonly leader: NodeId | null; readonly term: Term };
  term: { readonly term: Term };
  /** The known commit index advanced. */
  commit: { readonly index: Index };
  /** The state machine applied entries up to `index` (after the whole turn's batch). */
  apply: { readonly index: Index };
  /** A snapshot was taken here or installed from the leader. */
  snapshot: { readonly index: Index; readonly term: Term; readonly origin: "taken" | "installed" };
  membership: { readonly membership: Membership };
  /**
   * Leader: `peer` lost log entries it had acknowledged up to `match`; its log now ends (or stops
   * agreeing) at `logEnd`. A wiped or restored data directory: Raft's guarantees assumed that
   * disk. The leader repairs the peer's log by itself; this is for an operator to look into.
   */
  peerLostLog: { readonly peer: NodeId; readonly match: Index; readonly logEnd: Index };
  /** The node failed and stopped (storage or state machine error); every proposal was rejected. */
  error: FlotillaError;
};

/** A running Raft node, made by `createNode`: propose commands, watch events, read its status. */
export interface FlotillaNode<Result = unknown> {
  readonly id: NodeId;
  readonly events: Emitter<NodeEvents>;
  /** Loads persisted state, restores the latest snapshot, then starts ticking and listening. */
  start(): Promise<void>;
  /**
   * Stops ticking and listening, lets the turn in flight finish (its write and its applies),
   * writes what remains, and rejects every pending proposal with StoppedError. Idempotent. The
   * node cannot be started again: create a new one on the same storage. The transport and the
   * storage belong to the application, which closes them (after `stop`) when it is done.
   */
  stop(): Promise<void>;
  /**
   * Proposes a command for the log. Resolves with the state machine's result for it once applied
   * here; rejects with NotLeaderError, OverloadedError, EntryTooLargeError, LeadershipLostError,
   * TimeoutError, SteppedDownError (this leader stepped down before the entry committed: the
   * outcome is unknown; settled at the step-down, naming the new leader if known),
   * OutcomeUnknownError or StoppedError. Settles exactly once. NotLeaderError and OverloadedError
   * settle in a later task (a timer of 0 ms), so even a caller that retries at once lets the node
   * run its timers and read its messages; retrying at the leader it names, or after a back-off, is
   * still the better client.
   */
  propose(command: Uint8Array, options?: ProposeOptions): Promise<Result>;
  /**
   * A linearizable read without a log write (thesis §6.4). Resolves once reading this node's
   * state machine reflects every write acknowledged before the call: read it then (any later
   * state is as good). On the leader: once a quorum confirmed it still leads after the call (or
   * its lease held) and it applied up to its commit index of then; a new leader first commits an
   * entry of its term. On a follower: once the leader gave it a read index and it applied that
   * far. Rejects with NotLeaderError (no leader known; or this node stepped down, or the leader it
   * asked changed, while the read was pending: settled at once, with the leader it now knows;
   * nothing happened, so retrying is safe), TimeoutError, StoppedError, or ConfigError (a lease
   * read without `leaseReads`).
   */
  read(options?: ReadOptions): Promise<void>;
  /**
   * Hands leadership to voter `to` (thesis §3.10; call it on the leader): the leader refuses
   * proposals and membership changes meanwhile (LeadershipTransferringError,
   * MembershipChangeRefusedError "transferring", both safe to retry), brings `to` up to date and tells it to campaign
   * at once. Resolves once this node sees `to` lead a later term. Rejects with
   * LeadershipTransferRefusedError (nothing changed: not the leader, `to` is this node, not a
   * member, not a voter, or a transfer is under way), LeadershipTransferFailedError (`to` did not
   * take over within an election timeout, and this node leads on; or another node won),
   * TimeoutError or StoppedError. Before a planned restart of the leader, this turns an election
   * timeout of unavailability into about one round trip.
   */
  transferLeadership(to: NodeId, options?: TransferLeadershipOptions): Promise<void>;
  /** Asks the core to start an election now (operators, tests). */
  campaign(): void;
  /**
   * Changes the membership (on the leader). Resolves once the change's entry is committed and
   * applied here; for a joint change left automatically, once the entry that leaves the joint
   * configuration (C_new) is too (thesis §4.3), and for one left explicitly (jointExplicitLeave)
   * at C_old,new: a `leaveJoint` change then resolves at C_new. Rejects with
   * MembershipChangeRefusedError (nothing appended), SteppedDownError (this node stopped leading
   * before the change was done: outcome unknown), LeadershipLostError, TimeoutError,
   * OutcomeUnknownError or StoppedError.
   */
  changeMembership(change: MembershipChange, options?: ChangeMembershipOptions): Promise<void>;
  /** Adds `id` as a learner: it receives the log, never votes. */
  addLearner(id: NodeId, options?: ChangeMembershipOptions): Promise<void>;
  /** Makes learner `id` a voter (refused while it lags, unless `force`). */
  promote(id: NodeId, options?: ChangeMembershipOptions): Promise<void>;
  /** Removes voter or learner `id` from the cluster. */
  remove(id: NodeId, options?: ChangeMembershipOptions): Promise<void>;
  /**
   * Promotes learner `id` once it has caught up (thesis §4.2.1): rounds of replication, each of
   * the entries the leader held when it began, until one takes less than an election timeout;
   * then `promote`. Rejects with LearnerNotCaughtUpError after `roundsMax` slower rounds (or
   * `timeoutMs`), NotLeaderError, MembershipChangeRefusedError (not a learner), or as `promote`.
   */
  promoteWhenCaughtUp(id: NodeId, options?: CatchUpOptions): Promise<void>;
  /** The node's role, term, leader, indexes and counters now (cheap: no I/O). */
  status(): NodeStatus;
  /**
   * Counters and histograms since the node was created (proposals, commits, applies, elections,
   * leader changes, messages and payload bytes by type, drops, write/apply latency, snapshot
   * sizes): plain numbers for a metrics exporter.
   */
  stats(): NodeStats;
}
