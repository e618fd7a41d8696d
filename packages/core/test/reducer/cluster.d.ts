import {
  type ConfigInput,
  type Effect,
  type Entry,
  type Event,
  type HardState,
  type Message,
  type NodeId,
  type PersistEffect,
  type RaftState,
  type Snapshot,
  type StepResult,
} from "@flotilla/core";

type Durable = {
  hardState: HardState;
  snapshot: Snapshot | null;
  entries: Entry[];
};
export type ClusterOptions = Partial<Omit<ConfigInput, "id" | "voters">>;
export declare class Cluster {
  private readonly options;
  readonly ids: NodeId[];
  readonly states: Map<NodeId, RaftState>;
  queue: Message[];
  /**
   * Entries each node was told to apply, in order. A restored snapshot fills the positions it
   * covers with `restoredMarker` placeholders (their entries never reach the state machine).
   */
  readonly applied: Map<NodeId, Entry[]>;
  /** Snapshots each node was told to restore, in order. */
  readonly restored: Map<NodeId, Snapshot[]>;
  readonly leaderOfTerm: Map<number, NodeId>;
  readonly effects: Array<{
    id: NodeId;
    effect: Effect;
  }>;
  /** Nodes whose persist effects are not made durable (their `then` is held back). */
  readonly slowDisk: Set<NodeId>;
  readonly heldByDisk: Map<NodeId, PersistEffect[]>;
  /** What each node's storage holds: a restart begins from exactly this. */
  readonly durable: Map<NodeId, Durable>;
  constructor(size: number, options?: ClusterOptions);
  /** Crashes `id` and starts it again from its storage (everything it had was durable). */
  restart(id: NodeId): void;
  private write;
  state(id: NodeId): RaftState;
  step(id: NodeId, event: Event): StepResult;
  /** Makes everything `id` was asked to persist durable now. */
  flushDisk(id: NodeId): void;
  /** A persist effect became durable: record it, release its messages, tell the node. */
  private made;
  private observe;
  tick(id: NodeId, times?: number): void;
  tickAll(times?: number): void;
  /** Delivers the message at `position` in the queue (the oldest by default). */
  deliver(position?: number): Message | undefined;
  /** Delivers until the network is quiet, dropping messages that `drop` selects. */
  stabilize(drop?: (m: Message) => boolean, limit?: number): void;
  leader(): NodeId | undefined;
  /** Committed prefixes (as applied) agree on every node. */
  checkCommittedPrefixes(): void;
}
//# sourceMappingURL=cluster.d.ts.map
