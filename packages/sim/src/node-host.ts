import type { Effect, Event, Message, NodeId, Scheduler } from "@flotilla/core";
import type { Network, Prng } from "@flotilla/transport-memory";
import type { AsyncWork } from "./file-disk-storage.js";
import type { KvCheckpoints } from "./kv-checkpoints.js";
import type { KvClients } from "./kv-clients.js";
import type { MembershipChecker } from "./membership-checker.js";
import type { MembershipTally } from "./membership-workload.js";
import type { SimulationOptions } from "./options.js";
import type { ProcessTarget, RestartTarget } from "./process-faults.js";
import type { SafetyChecker } from "./safety-checker.js";
import type { ScheduleAt } from "./sim-storage.js";
import type { SnapshotCrashes } from "./snapshot-crashes.js";
import type { SpinChecker } from "./spin-checker.js";
import type { Trace } from "./trace.js";

/** What a node needs from the simulation around it. */
export interface NodeHost {
  readonly options: SimulationOptions;
  readonly network: Network;
  readonly clients: KvClients;
  readonly checker: SafetyChecker;
  /** Tracks each node's configuration from its log (restarts and crashes included). */
  readonly membershipChecker: MembershipChecker;
  /** How the membership changes nodes were asked for settled. */
  readonly membershipTally: MembershipTally;
  /** The initial voters; any other node starts empty and waits to be added (`join`). */
  readonly initialVoters: readonly NodeId[];
  readonly spin: SpinChecker;
  readonly trace: Trace;
  /** Compares nodes' key-value states at equal applied indexes (snapshots included). */
  readonly checkpoints: KvCheckpoints;
  readonly nowMs: number;
  nodeIndex(id: NodeId | null): number | null;
  /** Every step of a node's core, as it happens: checkers first, then the trace fingerprint. */
  stepped(
    node: { readonly id: NodeId; readonly index: number },
    event: Event,
    effects: readonly Effect[],
    messages: readonly Message[],
  ): void;
  scheduleTick(node: number, atMs: number, incarnation: number): void;
  /** A node is back on the network after a (re)start (stale-replays.ts replays to it). */
  restarted(node: NodeId): void;
  /**
   * Virtual timers and tracked microtasks, as createNode's driver gets from its host: the
   * ProposalRegistry settles refusals in a later task, and its promises' reactions run as
   * microtasks the simulator drains after the event.
   */
  readonly scheduler: Scheduler;
  /** Async work in flight (async-work.ts): the loop drains it before the next event. */
  readonly work: AsyncWork;
  /** Schedules a callback at a virtual time (after everything already due then). */
  readonly scheduleAt: ScheduleAt;
  /** Something only a bug explains: the run stops with outcome "crash". */
  fail(error: unknown): void;
  /** Counts crashes by the snapshot windows they hit; may crash a node in one (the swarm's bias). */
  readonly snapshotCrashes: SnapshotCrashes;
  /** Whether faults are still on (the liveness phase has not begun). */
  faultsOn(): boolean;
  /** `node` just sent TimeoutNow (thesis §3.10): a process fault may hit it now (process-faults.ts). */
  afterTimeoutNow(node: ProcessTarget): void;
  /** `node` just forwarded a read to its leader: it may crash and restart now (process-faults.ts). */
  afterForwardedRead(node: RestartTarget): void;
  /** A fault crashes `node` now, tearing unsynced writes as the options allow (from `prng`). */
  crashNode(
    node: { crash(torn: Prng | null): void; forget(fromBackup: boolean): void },
    prng: Prng,
  ): void;
}
