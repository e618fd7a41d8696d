import type {
  Effect,
  Event,
  Index,
  MembershipChange,
  Message,
  NodeId,
  Persisted,
  Role,
} from "@flotilla/core";
import type { NodeRuntime, RuntimeRules, TurnReport } from "@flotilla/core/runtime";
import type { KvOutput } from "@flotilla/kv-model";
import { StorageCorruptionError } from "@flotilla/storage-file";
import type { Prng } from "@flotilla/transport-memory";
import { mirrorOf } from "./log-mirror.js";
import { type ClockNode, NodeClock } from "./node-clock.js";
import type { NodeHost } from "./node-host.js";
import { NodeKv } from "./node-kv.js";
import { describeError } from "./node-outcomes.js";
import { NodeRequests } from "./node-requests.js";
import { simNodeRuntime } from "./node-runtime.js";
import { NodeSettlement } from "./node-settlement.js";
import { NodeSnapshotIo, type SnapshotIoNode } from "./node-snapshot-io.js";
import { NodeTurns, type ShellRules, type TurnNode } from "./node-turns.js";
import type { RaftCore } from "./raft-core.js";
import type { SimStorage } from "./sim-storage.js";

export type { NodeHost } from "./node-host.js";

/**
 * One simulated server: the node runtime that `createNode` runs (@flotilla/core/runtime), driven
 * by simulated time, network and storage, with the key-value state machine. Here is the server's
 * process: its lives (start, crash, a storage failure, amnesia) and its clock and pauses; what
 * clients and operators ask of it is carried out in node-requests.ts, its turns and the I/O they
 * ask for in node-turns.ts.
 */
export class SimNode<S> {
  readonly id: NodeId;
  readonly index: number;
  readonly storage: SimStorage;
  /** The key-value state machine of the node's current life. */
  readonly kv: NodeKv;
  readonly #host: NodeHost;
  readonly #core: RaftCore<S>;
  readonly #rules: RuntimeRules | undefined;
  readonly #prng: Prng;
  /** The process's tick timer, its rate and its pauses (node-clock.ts). */
  readonly #clock: NodeClock;
  #runtime: NodeRuntime<S, KvOutput> | null = null;
  /** Runs the runtime's turns and carries out their I/O (node-turns.ts). */
  readonly #turns: NodeTurns<S>;
  #up = false;
  /** A restart's load is under way (FileStorage opens and recovers asynchronously). */
  #loading = false;
  #incarnation = 0;
  /** createNode's settlement of proposals and reads (one registry set per life). */
  readonly #settlement: NodeSettlement;
  /** The commit index the node's hard state says, as the driver reads it after a turn. */
  #commit = 0;
  role: Role = "follower";
  term = 0;
  /** The highest index applied to the state machine (entries or a snapshot) in this life. */
  applied = 0;
  /** Whether the node ever lost its data (amnesia): after the heal it must catch up. */
  hadAmnesia = false;
  /** Whether the node came back without its snapshot's bytes (damaged at rest): after the heal
   * it must have repaired them from the leader and caught up. */
  lostSnapshot = false;
  /** Whether its last start failed on damage a fault made (see `NodeView.refusedDamage`). */
  refusedDamage = false;
  /** How many times the node stopped because its storage refused a write. */
  storageFailures = 0;
  /** Snapshots taken and chunks read beside the turns; what a crash now would cut. */
  readonly #snapshotIo: NodeSnapshotIo;
  /** What clients and operators ask of the node (node-requests.ts). */
  readonly #requests: NodeRequests<S>;

  constructor(
    host: NodeHost,
    core: RaftCore<S>,
    rules: RuntimeRules | undefined,
    shell: ShellRules | undefined,
    id: NodeId,
    index: number,
    root: Prng,
    makeStorage: (node: SimNode<S>) => SimStorage,
  ) {
    this.#host = host;
    this.#core = core;
    this.#rules = rules;
    this.id = id;
    this.index = index;
    this.#prng = root.fork(`node/${id}`);
    this.kv = new NodeKv(
      id,
      index,
      host.checkpoints,
      host.checker,
      host.options.snapshotPaddingBytes,
    );
    this.#settlement = new NodeSettlement(host, this);
    this.storage = makeStorage(this);
    const parts = this.#asSeenByParts();
    this.#clock = new NodeClock(host, parts, this.#prng, root.fork(`wake/${id}`));
    this.#snapshotIo = new NodeSnapshotIo(host, parts);
    this.storage.onRemovalCut(() => this.#snapshotIo.removalCut());
    this.#turns = new NodeTurns(host, parts, root.fork(`apply/${id}`), shell);
    this.#requests = new NodeRequests(host, core, {
      id,
      up: () => this.#up,
      runtime: () => this.#runtime,
      clock: this.#clock,
      settlement: this.#settlement,
      deliver: (event) => this.deliver(event),
    });
  }

  /** The node as its clock, its snapshot I/O and its turns see it (each reads what it needs). */
  #asSeenByParts(): ClockNode & SnapshotIoNode & TurnNode<S> {
    const node = this;
    return {
      id: this.id,
      index: this.index,
      storage: this.storage,
      kv: this.kv,
      process: this,
      get up() {
        return node.up;
      },
      get snapshotIo() {
        return node.#snapshotIo;
      },
      incarnation: () => this.#incarnation,
      runtime: () => this.#runtime,
      deliver: (event) => this.deliver(event),
      hold: (input) => this.#clock.hold(input),
      failed: () => this.#failed(),
      report: (report) => this.#report(report),
      retakeSnapshot: (index) => this.#runtime?.tracker.retake(index as Index),
      crash: (torn) => this.crash(torn),
      forget: (fromBackup) => this.forget(fromBackup),
    };
  }

  get up(): boolean {
    return this.#up;
  }

  /** Virtual ms per tick of this node's clock as drawn: the nominal tick scaled by its skew. */
  get tickPeriodMs(): number {
    return this.#clock.drawnPeriodMs;
  }

  get paused(): boolean {
    return this.#clock.paused;
  }

  start(): void {
    this.restart("start");
  }

  /**
   * Loads what the disk holds and boots a new runtime on it. Ignored while a load is under way
   * (a restart scheduled twice): two storages open on one directory would each recover it.
   */
  restart(what: "start" | "restart" = "restart"): void {
    if (this.#loading) return;
    this.#incarnation++;
    const incarnation = this.#incarnation;
    this.#loading = true;
    const failed = (error: Error) => this.#loadFailed(incarnation, what, error);
    this.storage.load((persisted) => {
      if (incarnation !== this.#incarnation) return;
      this.#snapshotIo.opened();
      const snapshot = persisted.snapshot;
      const boot = () => {
        this.#loading = false;
        this.#boot(persisted, what);
      };
      if (snapshot === null || persisted.snapshotBytesLost === true) {
        // Without a snapshot, or without its bytes: the state machine starts empty and applies
        // nothing until the leader's snapshot is installed (core: `snapshotLost`).
        this.kv.load(0, null);
        boot();
        return;
      }
      // The state machine starts from the latest durable snapshot, streamed from storage.
      this.#snapshotIo.load(snapshot, boot, failed);
    }, failed);
  }

  /**
   * The disk is full (the node stays down until a later restart, once space is back) or damaged
   * at rest where the storage must refuse it (it stays down for good).
   */
  #loadFailed(incarnation: number, what: "start" | "restart", error: Error): void {
    if (incarnation !== this.#incarnation) return;
    this.#loading = false;
    this.refusedDamage = error instanceof StorageCorruptionError;
    this.#host.trace.fault(this.#host.nowMs, `${what} n${this.id} failed: ${describeError(error)}`);
  }

  /** Stops the node when storage fails under it (see `#stopOnStorageFailure`). */
  #failed(): (error: Error) => void {
    const incarnation = this.#incarnation;
    return (error) => {
      if (incarnation === this.#incarnation) this.#stopOnStorageFailure(error);
    };
  }

  /** Boots a new runtime on what storage loaded (the state machine holds its snapshot's state). */
  #boot(persisted: Persisted, what: "start" | "restart"): void {
    const host = this.#host;
    const runtime = simNodeRuntime(
      this.#core,
      host.options,
      this.id,
      host.initialVoters,
      this.#prng.nextUint32(),
      (event, output) => this.#stepped(event, output.effects, output.messages),
      this.#rules,
    );
    const lost = persisted.snapshotBytesLost === true;
    const snapshot = lost ? null : persisted.snapshot;
    this.role = "follower";
    this.term = persisted.hardState.term;
    this.applied = snapshot?.index ?? 0;
    if (lost) this.lostSnapshot = true;
    const repair = lost
      ? `, snapshot ${persisted.snapshot?.index} quarantined: repairing it from the leader`
      : "";
    host.trace.fault(
      host.nowMs,
      `${what} n${this.id} (term ${this.term}, ${persisted.entries.length} entries, commit ${persisted.hardState.commit}${repair})`,
    );
    runtime.load(persisted);
    this.#runtime = runtime;
    // Held reads of this life only: a process that crashed took its registry with it.
    const life = this.#incarnation;
    const sink = {
      inboxMark: () => this.#runtime?.inboxMark ?? { generation: 0, ticksQueued: 0 },
      enqueue: (event: Event) => {
        if (life === this.#incarnation) this.deliver(event);
      },
    };
    this.#settlement.boot(persisted.hardState.term, snapshot?.index ?? 0, sink, this.#rules);
    this.#commit = Math.max(persisted.hardState.commit, persisted.snapshot?.index ?? 0);
    this.#turns.reset();
    this.#up = true;
    this.#clock.reset();
    host.network.restart(this.id);
    host.restarted(this.id);
    if (snapshot !== null) this.kv.checkpoint(snapshot.index, "restarted from its snapshot");
    host.checker.restarted(this.index, persisted.hardState, snapshot, mirrorOf(persisted));
    host.membershipChecker.restarted(this.index, persisted);
    // A random phase, so restarted clocks do not tick in lockstep.
    host.scheduleTick(
      this.index,
      host.nowMs + 1 + this.#prng.int(this.#clock.periodMs),
      this.#incarnation,
    );
  }

  /** Asks this node to hand leadership to `to` (it refuses unless it leads; node-requests.ts). */
  transferLeadership(to: NodeId): void {
    this.#requests.transferLeadership(to);
  }

  /** An operator's membership change (`force`: promote a lagging learner all the same). */
  changeMembership(change: MembershipChange, force: boolean): void {
    this.#requests.changeMembership(change, force);
  }

  /** The operator's `promoteWhenCaughtUp`, as createNode runs it (operator-catch-up.ts). */
  promoteWhenCaughtUp(learner: NodeId): void {
    this.#requests.promoteWhenCaughtUp(learner);
  }

  /**
   * Power loss. With `torn`, the write in progress may leave part of itself behind, as the
   * storage's crash model allows; with `tornEntries`, that many of its entries (a scripted fault).
   */
  crash(torn: Prng | null, tornEntries?: number): void {
    const host = this.#host;
    const windows = this.#snapshotIo.openWindows();
    const removing = this.storage.removing;
    host.snapshotCrashes.crashed(windows, removing);
    const note = this.storage.crash(torn, tornEntries);
    const during =
      (windows.length === 0 ? "" : ` while ${windows.join(", ")} a snapshot`) +
      (removing ? " while removing an old file" : "");
    host.trace.fault(host.nowMs, `crash n${this.id}${note}${during}`);
    this.#down();
  }

  /**
   * The storage refused a write (disk full, fsync failed): the node stops, as createNode's does
   * (phase failed, the storage's typed error as the cause), keeping what its disk holds; a later
   * restart opens the storage again. Not a power loss: the page cache lives on.
   */
  #stopOnStorageFailure(error: Error): void {
    const host = this.#host;
    this.storage.stop();
    this.storageFailures++;
    host.trace.fault(host.nowMs, `n${this.id} stopped: ${describeError(error)}`);
    this.#down();
  }

  /** The process is gone: its runtime, its turn, its place on the network. */
  #down(): void {
    const host = this.#host;
    this.#incarnation++;
    this.#loading = false;
    this.#runtime = null;
    this.#turns.reset();
    this.#up = false;
    this.#clock.reset();
    this.#settlement.down();
    this.#snapshotIo.reset();
    this.role = "follower";
    host.network.crash(this.id);
    host.checker.crashed(this.index);
    host.membershipChecker.crashed(this.index);
    host.clients.nodeCrashed(this.index);
  }

  /** Keeps a backup of what the node's disk holds durably now (for a later `forget`). */
  backup(): void {
    this.storage.backup();
  }

  /**
   * Amnesia, while down: the node's data directory becomes its last backup (`fromBackup`) or an
   * empty one. The checkers are told: from now on the run is held to what amnesia leaves
   * demanded (safety-checker.ts, `amnesia`).
   */
  forget(fromBackup: boolean): void {
    const host = this.#host;
    if (this.#up) throw new RangeError(`n${this.id} must be down to lose its data`);
    if (this.#loading) {
      // A restart reading the old directory is overtaken: it would boot on what was forgotten.
      this.#incarnation++;
      this.#loading = false;
    }
    host.trace.fault(host.nowMs, `n${this.id} ${this.storage.forget(fromBackup)}`);
    this.hadAmnesia = true;
    host.checker.amnesia(this.index);
  }

  /** The tick timer fired; a paused process's fires when it wakes. */
  tick(incarnation: number): void {
    if (!this.#up || incarnation !== this.#incarnation) return;
    this.#clock.timerFired();
  }

  /**
   * The process stops for `durationMs` (a GC pause, SIGSTOP, a descheduled VM): it neither ticks
   * nor handles anything meanwhile (node-clock.ts). On waking, what waited is handled in arrival
   * order and the overdue tick timer fires at a random place among it (timers and sockets are
   * served in either order by an event loop).
   */
  pause(durationMs: number): void {
    if (!this.#up || this.#clock.paused) return;
    this.#clock.pauseFor(durationMs);
  }

  /** The clock runs at `periodMs` virtual ms per tick from its next tick on (a rate fault). */
  setClockPeriod(periodMs: number): void {
    this.#clock.setPeriod(periodMs);
  }

  /** A client's proposal, as `createNode`'s `propose` (node-requests.ts). */
  propose(clientId: string, data: Uint8Array): void {
    this.#requests.propose(clientId, data);
  }

  /** A client's read of `key` without a log write, as `createNode`'s `read` (node-requests.ts). */
  read(clientId: string, key: string, consistency: "readIndex" | "lease"): void {
    this.#requests.read(clientId, key, consistency);
  }

  /** Hands an event to the runtime; a turn runs at once unless one waits on the disk. */
  deliver(event: Event): void {
    const runtime = this.#runtime;
    if (!this.#up || runtime === null) return;
    // The closure only when held: deliver runs once per message, and a closure per call adds up.
    if (this.#clock.paused && this.#clock.hold(() => this.deliver(event))) return;
    runtime.enqueue(event);
    this.#turns.run(runtime);
  }

  /** The end of a turn: what it applied, then the driver's settlement (node-settlement.ts). */
  #report(report: TurnReport<KvOutput>): void {
    const outcomes = report.work.outcomes;
    for (let i = 0; i < outcomes.length; i++) {
      const outcome = outcomes[i]!;
      if (outcome.index > this.applied) this.applied = outcome.index;
      if (outcome.kind === "restored" && outcome.index > this.#commit) this.#commit = outcome.index;
    }
    this.#settlement.finish(report, this.#commit);
  }

  #stepped(event: Event, effects: readonly Effect[], messages: readonly Message[]): void {
    for (let i = 0; i < effects.length; i++) {
      const effect = effects[i]!;
      if (effect.type === "roleChanged") {
        this.role = effect.role;
        this.term = effect.term;
      } else if (effect.type === "persist" && effect.hardState !== undefined) {
        if (effect.hardState.commit > this.#commit) this.#commit = effect.hardState.commit;
      }
    }
    this.#host.stepped(this, event, effects, messages);
  }
}
