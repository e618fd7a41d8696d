import type { MembershipChange } from "./confchange.js";
import type { Index, NodeId, Term } from "./ids.js";
import type { Message } from "./message.js";

/**
 * How a read is confirmed: `readIndex` (a heartbeat round acknowledged by a quorum, thesis §6.4) or
 * `lease` (no round while the leader's lease holds, §6.4.1; needs `leaseReads`).
 */
export type ReadConsistency = "readIndex" | "lease";

/** The only inputs of the reducer. Time is a `tick`; the driver decides how long a tick is. */
export type Event =
  /**
   * One unit of logical time has passed. `elapsed` (a positive integer, default 1): how many tick
   * intervals of real time this tick stands for, when the driver fell behind (a paused process, a
   * long GC pause, late timers). Only a leader's lease counts it (read-index.ts rule 5): election
   * and heartbeat timers still advance by one, so a node that wakes does not campaign at once.
   */
  | { readonly type: "tick"; readonly elapsed?: number }
  /** Start an election now (a test or an operator forcing one); ignored by learners. */
  | { readonly type: "campaign" }
  /** A message arrived from a peer. Anything wrong with it is reported as a `dropped` effect. */
  | { readonly type: "receive"; readonly message: Message }
  /** Client data for the log; `id` is the caller's, echoed in the accepted/rejected effect. */
  | { readonly type: "propose"; readonly id: string; readonly data: Uint8Array }
  /**
   * Several proposals in one step, each settled as its own `propose` event would be (one
   * accepted or rejected effect each, in order; the same budget and refusals), but the log, the
   * state and the persist effect are built once for the lot, and the entries leave together. The
   * driver steps a turn's run of proposals this way (runtime.ts): per proposal, a step's copy of
   * the state and its outputs cost more than the entry itself (issue 10).
   */
  | {
      readonly type: "proposeBatch";
      readonly proposals: readonly { readonly id: string; readonly data: Uint8Array }[];
    }
  /**
   * A linearizable read (thesis §6.4); `id` is the caller's, echoed in the readReady/readRejected
   * effect. Reads never enter the log. `consistency` "lease" (needs `leaseReads`) lets a leader
   * skip the heartbeat round while its lease holds; a follower forwards either kind to its leader
   * as a ReadIndex request. Default "readIndex".
   */
  | { readonly type: "read"; readonly id: string; readonly consistency?: ReadConsistency }
  /**
   * The caller has stepped a batch of events (a driver's turn): a leader sends the entries that
   * proposals left waiting for followers with messages in flight, one AppendEntries per follower
   * as far as its window allows. Without it they leave with the follower's next acknowledgement.
   */
  | { readonly type: "flush" }
  /** Storage made the log durable up to (index, term): a leader may now count itself for it. */
  | { readonly type: "persisted"; readonly index: Index; readonly term: Term }
  /** The application applied every committed entry up to `index`. */
  | { readonly type: "applied"; readonly index: Index }
  /**
   * The application snapshotted its state machine at applied index `index`, and storage holds its
   * bytes (`Storage.writeSnapshot` resolved with their size and checksum): compact the log.
   */
  | {
      readonly type: "snapshot";
      readonly index: Index;
      readonly size: number;
      readonly checksum: number;
    }
  /**
   * Storage read the chunk a `readSnapshotChunk` effect asked for: `data` (null when storage no
   * longer holds that snapshot, replaced by a newer one). The leader sends it if still wanted.
   */
  | {
      readonly type: "snapshotChunkRead";
      readonly to: NodeId;
      readonly snapshotIndex: Index;
      readonly snapshotTerm: Term;
      readonly offset: number;
      readonly data: Uint8Array | null;
    }
  /**
   * Change the cluster's membership (leader only; `id` is the caller's, echoed in the
   * membershipChangeAccepted/Rejected effect). `force` promotes a learner even while it lags.
   */
  | {
      readonly type: "changeMembership";
      readonly id: string;
      readonly change: MembershipChange;
      readonly force?: boolean;
    }
  /**
   * Hand leadership to voter `to` (thesis §3.10; leader only). The leader refuses proposals and
   * membership changes meanwhile, brings `to` up to date and sends it TimeoutNow; the transfer
   * is abandoned after one election timeout. Refusals and the outcome come back as
   * `leadershipTransfer*` effects.
   */
  | { readonly type: "transferLeadership"; readonly to: NodeId };

/** The `type` of every `Event` variant. */
export type EventType = Event["type"];
