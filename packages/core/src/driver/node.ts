// The node driver: `createNode`, the application's handle on one Raft member, a thin async shell
// around the node runtime (runtime.ts), which holds every rule of the turn (what is stepped,
// written, sent, applied and reported, in what order). The handle owns what the runtime must not:
// the host's timers, the requests' promises and the events, and the node's life (start, stop,
// failure); turn-shell.ts runs the turns and their I/O with the application's Storage, Transport
// and StateMachine. Any failure of storage, of the state machine or of the core stops the node:
// continuing on state that may not match the disk is how replicas silently diverge.

import type { Emitter } from "mitt";
import type { MembershipChange, MembershipOperation } from "../confchange.js";
import type { Membership, Persisted } from "../entry.js";
import { ConfigError, FlotillaError, InvalidEventError } from "../errors.js";
import type { Event } from "../event.js";
import type { Index, NodeId, Term } from "../ids.js";
import type { Storage, Transport } from "../interfaces.js";
import { membershipOf } from "../membership.js";
import { type CatchUpOptions, promoteWhenCaughtUp } from "./catch-up.js";
import { LeadershipTransferRefusedError, StoppedError, StorageFailedError } from "./errors.js";
import { MembershipChangeRegistry } from "./membership-changes.js";
import { coreConfigOf, driverDefaults, snapshotPolicyOf } from "./node-options.js";
import { Notifier } from "./notifier.js";
import { OperatorLog } from "./operator-log.js";
import { ProposalRegistry } from "./proposals.js";
import { checkReadOptions, ReadRegistry } from "./reads.js";
import { type Reducer, raftReducer } from "./reducer.js";
import { refusedInPhase, requestTimeoutMs } from "./request-checks.js";
import { NodeRuntime } from "./runtime.js";
import type { RuntimeRules } from "./runtime-rules.js";
import { hostScheduler, type Scheduler, type TimerHandle } from "./scheduler.js";
import { retakeDamaged, SnapshotIo } from "./snapshot-io.js";
import { type NodeStats, StatsRecorder } from "./stats.js";
import { TickClock } from "./tick-clock.js";
import { TransferWaiter } from "./transfer-waiter.js";
import { TurnShell } from "./turn-shell.js";
import type {
  ChangeMembershipOptions,
  FlotillaNode,
  NodeEvents,
  NodeOptions,
  NodePhase,
  NodeStatus,
  ProposeOptions,
  ReadOptions,
  TransferLeadershipOptions,
} from "./types.js";

/** Creates a node (not yet started): the application's handle on one Raft member. */
export function createNode<Result = unknown>(options: NodeOptions<Result>): FlotillaNode<Result> {
  return new Driver(raftReducer, options);
}

/**
 * `createNode` around a given core (and runtime rules): for tests that wrap the real reducer to
 * inject failures, or plant a defect in the runtime.
 */
export function createNodeWith<State, Result>(
  reducer: Reducer<State>,
  options: NodeOptions<Result>,
  rules?: RuntimeRules,
): FlotillaNode<Result> {
  return new Driver(reducer, options, rules);
}

class Driver<State, Result> implements FlotillaNode<Result> {
  readonly id: NodeId;
  readonly events: Emitter<NodeEvents>;
  readonly #reducer: Reducer<State>;
  readonly #runtime: NodeRuntime<State, Result>;
  readonly #shell: TurnShell<State, Result>;
  readonly #transport: Transport;
  readonly #storage: Storage;
  readonly #snapshots: SnapshotIo;
  readonly #scheduler: Scheduler;
  readonly #tickMs: number;
  readonly #tickClock: TickClock;
  readonly #electionTimeoutMs: number;
  readonly #proposalTimeoutMs: number | undefined;
  readonly #proposals: ProposalRegistry<Result>;
  readonly #notifier: Notifier<Result>;
  readonly #changes: MembershipChangeRegistry;
  readonly #reads: ReadRegistry;
  readonly #leaseReads: boolean;
  readonly #transfers: TransferWaiter;
  /** What status() reports before the core is loaded. */
  readonly #initialMembership: Membership;
  readonly #stats = new StatsRecorder();
  readonly #log: OperatorLog;

  #phase: NodePhase = "created";
  #tickTimer: TimerHandle | undefined;
  #unlisten: (() => void) | undefined;
  #started: Promise<void> | undefined;
  #stopped: Promise<void> | undefined;

  constructor(reducer: Reducer<State>, options: NodeOptions<Result>, rules?: RuntimeRules) {
    const { transport, storage, stateMachine, tickMs, scheduler, proposalTimeoutMs, logger } =
      options;
    const config = coreConfigOf(options);
    this.id = config.id;
    this.#initialMembership = config.join
      ? membershipOf([], [])
      : membershipOf(config.voters, config.learners);
    this.#reducer = reducer;
    this.#transport = transport;
    this.#storage = storage;
    this.#snapshots = new SnapshotIo(storage, stateMachine, {
      enqueue: (event) => this.#enqueue(event),
      fail: (error) => this.#fail(error),
      running: () => this.#phase === "running",
      stored: (size) => this.#stats.snapshotBytes.observe(size),
      damaged: (s, e) => retakeDamaged(this.#runtime.tracker, this.#log, s, e),
    });
    this.#tickMs = tickMs ?? driverDefaults.tickMs;
    this.#scheduler = scheduler ?? hostScheduler;
    this.#tickClock = new TickClock(this.#scheduler, this.#tickMs);
    const electionTimeoutMs = config.electionTimeoutTicks * this.#tickMs;
    this.#electionTimeoutMs = electionTimeoutMs;
    this.#log = new OperatorLog({
      id: config.id,
      logger,
      now: () => this.#scheduler.now?.() ?? 0,
      silenceMs: electionTimeoutMs,
      slowWriteMs: electionTimeoutMs / 2,
    });
    this.#runtime = new NodeRuntime(reducer, config, {
      snapshotPolicy: snapshotPolicyOf(options, config.seed),
      hooks: {
        stepped: (event, output) => {
          this.#stats.stepped(event, output.effects);
          this.#log.stepped(event, output.effects, () => this.#otherMembers());
        },
      },
      ...(rules === undefined ? {} : { rules }),
    });
    this.#proposalTimeoutMs = proposalTimeoutMs ?? driverDefaults.proposalTimeoutMs;
    this.#proposals = new ProposalRegistry(this.#scheduler);
    this.#changes = new MembershipChangeRegistry(this.#scheduler);
    const inboxMark = () => this.#runtime.inboxMark;
    const readSink = { inboxMark, enqueue: (event: Event) => this.#enqueue(event) };
    this.#reads = new ReadRegistry(this.#scheduler, readSink, rules);
    this.#leaseReads = config.leaseReads;
    this.#transfers = new TransferWaiter(this.#scheduler);
    this.#notifier = new Notifier(
      this.#proposals,
      this.#changes,
      this.#reads,
      this.#transfers,
      this.#scheduler,
    );
    this.events = this.#notifier.events;
    this.#shell = new TurnShell({
      reducer,
      runtime: this.#runtime,
      storage,
      transport,
      stateMachine,
      snapshots: this.#snapshots,
      scheduler: this.#scheduler,
      stats: this.#stats,
      log: this.#log,
      notifier: this.#notifier,
      running: () => this.#phase === "running",
      failed: () => this.#phase === "failed",
      fail: (error) => this.#fail(error),
    });
  }

  start(): Promise<void> {
    this.#started ??= this.#start();
    return this.#started;
  }

  stop(): Promise<void> {
    this.#stopped ??= this.#stop();
    return this.#stopped;
  }

  propose(command: Uint8Array, options: ProposeOptions = {}): Promise<Result> {
    const refused = refusedInPhase(this.#phase, "propose");
    if (refused !== null) return Promise.reject(refused);
    if (!(command instanceof Uint8Array)) {
      return Promise.reject(new InvalidEventError("propose: the command must be a Uint8Array"));
    }
    const timeout = requestTimeoutMs(options.timeoutMs, this.#proposalTimeoutMs);
    if (timeout instanceof ConfigError) return Promise.reject(timeout);
    const { id, promise } = this.#proposals.create(timeout.timeoutMs);
    // A copy: the caller may reuse its buffer as soon as propose returns.
    this.#enqueue({ type: "propose", id, data: command.slice() });
    return promise;
  }

  read(options: ReadOptions = {}): Promise<void> {
    const refused = refusedInPhase(this.#phase, "read");
    if (refused !== null) return Promise.reject(refused);
    const checked = checkReadOptions(options, this.#leaseReads, this.#proposalTimeoutMs);
    if (checked instanceof ConfigError) return Promise.reject(checked);
    const { consistency, timeoutMs } = checked;
    // A lease counts real time: after a pause, the overdue tick goes first (tick-clock.ts), so
    // the read may not join a core read queued before it (reads.ts).
    const overdue = consistency === "lease" ? this.#tickClock.overdue() : null;
    if (overdue !== null) this.#runtime.enqueue(overdue);
    const read = this.#reads.create(timeoutMs, consistency, this.#runtime.inboxMark);
    if (read.event !== null) this.#enqueue(read.event);
    return read.promise;
  }

  changeMembership(change: MembershipChange, options: ChangeMembershipOptions = {}): Promise<void> {
    const refused = refusedInPhase(this.#phase, "change membership");
    if (refused !== null) return Promise.reject(refused);
    const timeout = requestTimeoutMs(options.timeoutMs, this.#proposalTimeoutMs);
    if (timeout instanceof ConfigError) return Promise.reject(timeout);
    const { id, promise } = this.#changes.create(timeout.timeoutMs);
    this.#enqueue({ type: "changeMembership", id, change, force: options.force === true });
    return promise;
  }

  addLearner(id: NodeId, options?: ChangeMembershipOptions): Promise<void> {
    return this.#changeOne({ type: "addLearner", id }, options);
  }

  promote(id: NodeId, options?: ChangeMembershipOptions): Promise<void> {
    return this.#changeOne({ type: "promote", id }, options);
  }

  remove(id: NodeId, options?: ChangeMembershipOptions): Promise<void> {
    return this.#changeOne({ type: "remove", id }, options);
  }

  promoteWhenCaughtUp(id: NodeId, options?: CatchUpOptions): Promise<void> {
    return promoteWhenCaughtUp(
      {
        scheduler: this.#scheduler,
        tickMs: this.#tickMs,
        electionTimeoutMs: this.#electionTimeoutMs,
        status: () => this.status(),
        promote: (learner) => this.promote(learner),
      },
      id,
      options,
    );
  }

  #changeOne(operation: MembershipOperation, options?: ChangeMembershipOptions): Promise<void> {
    return this.changeMembership({ type: "change", operations: [operation] }, options);
  }

  transferLeadership(to: NodeId, options: TransferLeadershipOptions = {}): Promise<void> {
    const refused = refusedInPhase(this.#phase, "transfer leadership");
    if (refused !== null) return Promise.reject(refused);
    if (typeof to !== "string" || to.length === 0) {
      return Promise.reject(new InvalidEventError("transferLeadership needs a node id"));
    }
    const timeout = requestTimeoutMs(options.timeoutMs, this.#proposalTimeoutMs);
    if (timeout instanceof ConfigError) return Promise.reject(timeout);
    if (this.#transfers.busy) {
      const leader = this.status().leader;
      return Promise.reject(new LeadershipTransferRefusedError(to, "inProgress", leader));
    }
    const promise = this.#transfers.create(to, timeout.timeoutMs);
    this.#enqueue({ type: "transferLeadership", to });
    return promise;
  }

  campaign(): void {
    if (this.#phase === "running" || this.#phase === "starting") {
      this.#enqueue({ type: "campaign" });
    }
  }

  status(): NodeStatus {
    const state = this.#runtime.state;
    const core = state === undefined ? undefined : this.#reducer.status(state);
    const tracker = this.#runtime.tracker;
    return {
      id: this.id,
      phase: this.#phase,
      role: core?.role ?? "follower",
      term: core?.term ?? (0 as Term),
      leader: core?.leader ?? null,
      commitIndex: core?.commit ?? (0 as Index),
      appliedIndex: tracker.appliedIndex,
      lastLogIndex: core?.lastLogIndex ?? (0 as Index),
      snapshotIndex: tracker.snapshotIndex,
      snapshotStoringIndex: tracker.storingIndex,
      pendingProposals: this.#proposals.size,
      pendingReads: this.#reads.size,
      membership: core?.membership ?? this.#initialMembership,
      ...(core?.progress === undefined ? {} : { progress: core.progress }),
      droppedMessages: this.#notifier.droppedMessages,
    };
  }

  stats(): NodeStats {
    return this.#stats.snapshot();
  }

  /** The members besides this node, for the logger's silence check (leader only). */
  #otherMembers(): readonly NodeId[] {
    const { voters, outgoing = [], learners } = this.status().membership;
    return [...new Set([...voters, ...outgoing, ...learners])].filter((id) => id !== this.id);
  }

  async #start(): Promise<void> {
    if (this.#phase !== "created") throw new StoppedError("the node was stopped; create a new one");
    this.#phase = "starting";
    let persisted: Persisted;
    try {
      persisted = await this.#storage.load();
    } catch (error) {
      throw this.#fail(new StorageFailedError("load", error));
    }
    try {
      this.#runtime.load(persisted);
    } catch (error) {
      throw this.#fail(error);
    }
    this.#notifier.loaded(persisted.hardState.term, persisted.snapshot?.index ?? (0 as Index));
    this.#shell.startedAt(persisted.snapshot?.index ?? 0);
    if (persisted.snapshot !== null && persisted.snapshotBytesLost !== true) {
      try {
        await this.#snapshots.restore(persisted.snapshot);
      } catch (error) {
        throw this.#fail(error);
      }
    }
    if (this.#phase !== "starting") return; // stop() or a failure came first
    this.#unlisten = this.#transport.onMessage((message) => {
      this.#enqueue({ type: "receive", message });
    });
    this.#phase = "running";
    this.#tickClock.start();
    this.#armTick();
    this.#shell.kick();
  }

  async #stop(): Promise<void> {
    if (this.#started !== undefined) await this.#started.catch(() => undefined);
    if (this.#phase === "created") this.#phase = "stopped";
    if (this.#phase !== "running") return;
    this.#phase = "stopping";
    this.#quiesce(() => new StoppedError());
    await this.#shell.quiet();
    if (this.#phase !== "stopping") return; // the last turn or write failed; #fail did the rest
    try {
      const batch = this.#runtime.takeFinalWrite();
      if (batch !== null) await this.#shell.write(batch);
    } catch (error) {
      this.#fail(error);
      return;
    }
    this.#proposals.rejectAll(() => new StoppedError());
    this.#changes.rejectAll(() => new StoppedError());
    this.#reads.rejectAll(() => new StoppedError());
    this.#transfers.reject(new StoppedError());
    this.#phase = "stopped";
  }

  #enqueue(event: Event): void {
    this.#runtime.enqueue(event);
    this.#shell.kick();
  }

  #armTick(): void {
    this.#tickTimer = this.#scheduler.setTimeout(() => {
      this.#tickTimer = undefined;
      if (this.#phase !== "running") return;
      this.#enqueue(this.#tickClock.tick());
      this.#armTick();
    }, this.#tickMs);
  }

  /** Stops time and input, and rejects proposals still in the inbox. */
  #quiesce(makeError: () => Error): void {
    if (this.#tickTimer !== undefined) this.#scheduler.clearTimeout(this.#tickTimer);
    this.#tickTimer = undefined;
    this.#unlisten?.();
    this.#unlisten = undefined;
    for (const event of this.#runtime.drainInbox()) {
      if (event.type === "propose") this.#proposals.reject(event.id, makeError());
      if (event.type === "changeMembership") this.#changes.reject(event.id, makeError());
      if (event.type === "read") this.#reads.reject(event.id, makeError());
    }
  }

  /** Stops the node for good after an error; returns the error as reported. */
  #fail(cause: unknown): FlotillaError {
    const error =
      cause instanceof FlotillaError
        ? cause
        : new FlotillaError("INTERNAL", `the node failed: ${String(cause)}`, { cause });
    if (this.#phase === "failed" || this.#phase === "stopped") return error;
    this.#phase = "failed";
    this.#log.failed(error.code, error.message);
    const stopped = () => new StoppedError(`the node failed: ${error.message}`, { cause: error });
    this.#quiesce(stopped);
    this.#runtime.abandon();
    this.#proposals.rejectAll(stopped);
    this.#changes.rejectAll(stopped);
    this.#reads.rejectAll(stopped);
    this.#transfers.reject(stopped());
    this.#notifier.emit("error", error);
    return error;
  }
}
