import type { Message, MessageType, NodeId, Persisted, RaftState, Role } from "@flotilla/core";
import type { KvState } from "@flotilla/kv-model";

// The playground's world is one immutable value: the nodes (each a pure core state plus what its
// disk and state machine hold), the messages in flight, the network settings and the PRNG state.
// Every event makes a new world that shares what did not change with the old one, so the
// timeline keeps every past moment for free and any of them can be resumed with other choices.

export type SimNode = {
  readonly id: NodeId;
  /** Crashed nodes keep their durable state and lose everything else. */
  readonly up: boolean;
  readonly state: RaftState;
  /** What survives a crash: the playground's disk is synchronous, so this is every write so far. */
  readonly durable: Persisted;
  /** The replicated key-value store, as of the node's applied index. */
  readonly kv: KvState;
  readonly nextTickMs: number;
};

/** A message on the wire: sent at `sentAtMs`, arriving at `deliverAtMs`. */
export type Flight = {
  readonly seq: number;
  readonly from: NodeId;
  readonly to: NodeId;
  readonly message: Message;
  readonly sentAtMs: number;
  readonly deliverAtMs: number;
};

export type DropReason = "lost" | "cut" | "crashed";

/** A message that never arrived, kept for a moment so the page can show where it died. */
export type Drop = {
  readonly seq: number;
  readonly from: NodeId;
  readonly to: NodeId;
  readonly messageType: MessageType;
  readonly reason: DropReason;
  readonly sentAtMs: number;
  readonly atMs: number;
};

/**
 * Where a client or operator request stands. `accepted`: appended to the log (a put, a membership
 * change) or given its read index (a read); `committed`: that entry committed in the term it was
 * appended in; `served`: a read answered from a state machine applied up to its read index;
 * `done`: a leadership transfer ended with the target leading; `failed`: given up (a transfer
 * aborted, or another node took over); `unknown`: the outcome cannot be known (a crash).
 */
export type OpOutcome =
  | "pending"
  | "accepted"
  | "committed"
  | "served"
  | "done"
  | "rejected"
  | "failed"
  | "unknown";

/** A put, a read, a membership change or a leadership transfer. */
export type OpKind = "put" | "read" | "membership" | "transfer";

/** One request sent to one node, and what became of it. */
export type ClientOp = {
  readonly id: string;
  readonly kind: OpKind;
  /** The node the request was sent to. */
  readonly node: NodeId;
  /** The request in words: `put x=1`, `read x (lease)`, `add learner n6`, `transfer to n3`. */
  readonly what: string;
  /** A read's key. */
  readonly key: string | null;
  /** A transfer's target, or the node a membership change is about. */
  readonly subject: NodeId | null;
  readonly outcome: OpOutcome;
  /** The log index of the entry (a put, a change), or a read's read index. */
  readonly index: number | null;
  readonly term: number | null;
  /** What a served read returned (null: the key is absent). */
  readonly value: string | null;
  readonly detail: string;
};

export type LinkSettings = {
  readonly lossProbability: number;
  readonly latencyMinMs: number;
  readonly latencyMaxMs: number;
};

export type World = {
  readonly seed: number;
  /** The voters the cluster started with; a node added later starts with `join`. */
  readonly initialVoters: readonly NodeId[];
  readonly timeMs: number;
  /** Events handled so far: deliveries, ticks and the person's actions. */
  readonly events: number;
  readonly random: number;
  readonly seq: number;
  readonly nodes: readonly SimNode[];
  /** Sorted by (deliverAtMs, seq): the head is the next delivery. */
  readonly inFlight: readonly Flight[];
  readonly link: LinkSettings;
  /** Cut directed links, as "from>to". */
  readonly cuts: readonly string[];
  readonly drops: readonly Drop[];
  readonly ops: readonly ClientOp[];
  readonly opsStarted: number;
  /** What the last event was, in words. */
  readonly lastEvent: string;
};

export type WorldOptions = {
  readonly seed: number;
  readonly nodeCount: number;
  readonly link?: Partial<LinkSettings>;
};

export type { Role };
