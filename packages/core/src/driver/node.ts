// The node driver: `createNode`, a thin async shell around the node runtime (runtime.ts), which
// holds every rule of the turn (what is stepped, written, sent, applied and reported, in what
// order). The shell owns what the runtime must not: the host's timers, the application's Storage,
// Transport and StateMachine (each possibly async), the proposals' promises and the events.
// It runs one turn at a time, performing each I/O request the turn yields and resuming it with the
// completion. Any failure of storage, of the state machine or of the core stops the node:
// continuing on state that may not match the disk is how replicas silently diverge.

import type { Emitter } from "mitt";
import type { MembershipChange, MembershipOperation } from "../confchange.js";
import { validateConfig } from "../config.js";
import type { Entry, Membership, Persisted } from "../entry.js";
import { ConfigError, FlotillaError, InvalidEventError } from "../errors.js";
import type { Event } from "../event.js";
import type { Index, NodeId, Term } from "../ids.js";
import type { PersistBatch, StateMachine, Storage, Transport } from "../interfaces.js";
import type { Message } from "../message.js";
import { applyCommands, isPromiseLike } from "./apply-commands.js";
import { type CatchUpOptions, promoteWhenCaughtUp } from "./catch-up.js";
import { LeadershipTransferRefusedError, StoppedError, StorageFailedError } from "./errors.js";
import type { IoCompletion, IoRequest } from "./io-request.js";
import { MembershipChangeRegistry } from "./membership-changes.js";
import { driverDefaults, snapshotPolicyOf, validateDriverOptions } from "./node-options.js";
import { Notifier } from "./notifier.js";
import { OperatorLog } from "./operator-log.js";
import { ProposalRegistry } from "./proposals.js";
import { checkReadOptions, ReadRegistry } from "./reads.js";
import { type Reducer, raftReducer } from "./reducer.js";
import { NodeRuntime } from "./runtime.js";
import type { RuntimeRules } from "./runtime-rules.js";
import { hostScheduler, type Scheduler, type TimerHandle } from "./scheduler.js";
import { retakeDamaged, SnapshotIo } from "./snapshot-io.js";
import { startSeed } from "./start-seed.js";
import { type NodeStats, StatsRecorder } from "./stats.js";
import { TickClock } from "./tick-clock.js";
import { TransferWaiter } from "./transfer-waiter.js";
import type { TurnReport } from "./turn-work.js";
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
  readonly #transport: Transport;
  readonly #storage: Storage;
  readonly #stateMachine: StateMachine<Result>;
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
  #lastCommit = 0;

  #phase: NodePhase = "created";
  #turn: Promise<void> | null = null;
  /** The write in flight (one at a time: write-pipeline.ts), settled once it is taken up. */
  #writing: Promise<void> | null = null;
  #kickQueued = false;
  #tickTimer: TimerHandle | undefined;
  #unlisten: (() => void) | undefined;
  #started: Promise<void> | undefined;
  #stopped: Promise<void> | undefined;

  constructor(reducer: Reducer<State>, options: NodeOptions<Result>, rules?: RuntimeRules) {
    const {
      transport,
      storage,
      stateMachine,
      tickMs,
      scheduler,
      proposalTimeoutMs,
      snapshotEveryEntries: _everyEntries,
      snapshotEveryBytes: _everyBytes,
      snapshotLogRatio: _logRatio,
      snapshotLogBytesMin: _logBytesMin,
      logger,
      ...configInput
    } = options;
    const config = validateConfig({ ...configInput, seed: configInput.seed ?? startSeed() });
    validateDriverOptions(options);
    this.id = config.id;
    this.#initialMembership = config.join
      ? { voters: [], learners: [] }
      : { voters: config.voters, learners: config.learners };
    this.#reducer = reducer;
    this.#transport = transport;
    this.#storage = storage;
    this.#stateMachine = stateMachine;
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
      snapshotPolicy: snapshotPolicyOf(options),
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
    if (this.#phase !== "running" && this.#phase !== "starting") {
      return Promise.reject(new StoppedError(`cannot propose: the node is ${this.#phase}`));
    }
    if (!(command instanceof Uint8Array)) {
      return Promise.reject(new InvalidEventError("propose: the command must be a Uint8Array"));
    }
    const timeoutMs = options.timeoutMs ?? this.#proposalTimeoutMs;
    if (timeoutMs !== undefined && !(timeoutMs > 0)) {
      return Promise.reject(new ConfigError("timeoutMs", `must be positive, got ${timeoutMs}`));
    }
    const { id, promise } = this.#proposals.create(timeoutMs);
    // A copy: the caller may reuse its buffer as soon as propose returns.
    this.#enqueue({ type: "propose", id, data: command.slice() });
    return promise;
  }

  read(options: ReadOptions = {}): Promise<void> {
    if (this.#phase !== "running" && this.#phase !== "starting") {
      return Promise.reject(new StoppedError(`cannot read: the node is ${this.#phase}`));
    }
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
    if (this.#phase !== "running" && this.#phase !== "starting") {
      return Promise.reject(
        new StoppedError(`cannot change membership: the node is ${this.#phase}`),
      );
    }
    const timeoutMs = options.timeoutMs ?? this.#proposalTimeoutMs;
    if (timeoutMs !== undefined && !(timeoutMs > 0)) {
      return Promise.reject(new ConfigError("timeoutMs", `must be positive, got ${timeoutMs}`));
    }
    const { id, promise } = this.#changes.create(timeoutMs);
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
    if (this.#phase !== "running" && this.#phase !== "starting") {
      return Promise.reject(
        new StoppedError(`cannot transfer leadership: the node is ${this.#phase}`),
      );
    }
    if (typeof to !== "string" || to.length === 0) {
      return Promise.reject(new InvalidEventError("transferLeadership needs a node id"));
    }
    const timeoutMs = options.timeoutMs ?? this.#proposalTimeoutMs;
    if (timeoutMs !== undefined && !(timeoutMs > 0)) {
      return Promise.reject(new ConfigError("timeoutMs", `must be positive, got ${timeoutMs}`));
    }
    if (this.#transfers.busy) {
      const leader = this.status().leader;
      return Promise.reject(new LeadershipTransferRefusedError(to, "inProgress", leader));
    }
    const promise = this.#transfers.create(to, timeoutMs);
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
    this.#lastCommit = persisted.snapshot?.index ?? 0;
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
    this.#kick();
  }

  async #stop(): Promise<void> {
    if (this.#started !== undefined) await this.#started.catch(() => undefined);
    if (this.#phase === "created") this.#phase = "stopped";
    if (this.#phase !== "running") return;
    this.#phase = "stopping";
    this.#quiesce(() => new StoppedError());
    if (this.#turn !== null) await this.#turn;
    if (this.#writing !== null) await this.#writing;
    if (this.#phase !== "stopping") return; // the last turn or write failed; #fail did the rest
    try {
      const batch = this.#runtime.takeFinalWrite();
      if (batch !== null) await this.#write(batch);
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
    this.#kick();
  }

  /** Starts a turn after the current job, so events arriving together share it. */
  #kick(): void {
    if (this.#phase !== "running" || this.#turn !== null || this.#kickQueued) return;
    if (!this.#runtime.hasWork) return;
    this.#kickQueued = true;
    this.#scheduler.queueMicrotask(() => {
      this.#kickQueued = false;
      if (this.#phase !== "running" || this.#turn !== null) return;
      // Cleared in a later microtask (never synchronously, even if there was nothing to do), then
      // kicked again for whatever arrived between the last turn and now.
      this.#turn = this.#runTurns().then(() => {
        this.#turn = null;
        this.#kick();
      });
    });
  }

  async #runTurns(): Promise<void> {
    try {
      while (this.#phase === "running" && this.#runtime.hasWork) await this.#turnOnce();
    } catch (error) {
      this.#fail(error);
    }
  }

  /** Runs one turn of the runtime, performing each I/O request it yields. */
  async #turnOnce(): Promise<void> {
    const turn = this.#runtime.turn();
    let completion: IoCompletion<Result>;
    for (let next = turn.next(); ; next = turn.next(completion)) {
      if (next.done === true) {
        this.#settle(next.value);
        return;
      }
      const pending = this.#perform(next.value);
      completion = isPromiseLike(pending) ? await pending : pending;
    }
  }

  /** Settles and announces what a turn (or its applies before the write) did. */
  #settle(report: TurnReport<Result>): void {
    const commitIndex = this.#commitIndex();
    if (commitIndex > this.#lastCommit) this.#stats.committed(commitIndex - this.#lastCommit);
    this.#lastCommit = Math.max(this.#lastCommit, commitIndex);
    for (const { origin, index, term } of report.work.snapshots) {
      this.#log.snapshot(origin, index, term);
    }
    this.#notifier.finish(report, commitIndex);
  }

  /** Carries out one request; synchronous where the I/O is, so a turn takes no needless jobs. */
  #perform(request: IoRequest): IoCompletion<Result> | Promise<IoCompletion<Result>> {
    switch (request.type) {
      case "send":
        this.#sendAll(request.messages);
        return undefined;
      case "write":
        this.#startWrite(request.batch);
        return undefined;
      case "apply":
        return this.#timedApply(request.entries);
      case "restore":
        return this.#snapshots.restore(request.snapshot).then(() => undefined);
      case "takeSnapshot":
        return this.#snapshots.capture(request.index).then(() => undefined);
      case "readSnapshotChunk":
        this.#snapshots.startRead(request);
        return undefined;
      case "writeSnapshotChunk":
        return this.#snapshots.write(request).then(() => undefined);
      default: {
        const never: never = request;
        throw new TypeError(`unknown I/O request ${JSON.stringify(never)}`);
      }
    }
  }

  /** Starts the runtime's write; turns go on meanwhile, and the next one takes it up once durable. */
  #startWrite(batch: PersistBatch): void {
    this.#writing = this.#write(batch).then(
      () => {
        this.#writing = null;
        if (this.#phase === "failed") return;
        this.#runtime.written();
        this.#kick();
      },
      (error: unknown) => {
        this.#writing = null;
        this.#fail(error);
      },
    );
  }

  async #write(batch: PersistBatch): Promise<void> {
    const started = this.#scheduler.now?.();
    try {
      await this.#storage.persist(batch);
    } catch (error) {
      throw new StorageFailedError("persist", error);
    }
    if (started !== undefined) {
      const ms = (this.#scheduler.now?.() ?? started) - started;
      this.#stats.persistMs.observe(ms);
      this.#log.wrote(ms);
    }
  }

  /** `#apply`, counted and timed for `stats()`. */
  #timedApply(
    entries: readonly Entry[],
  ): readonly (Result | undefined)[] | Promise<readonly (Result | undefined)[]> {
    const started = this.#scheduler.now?.();
    const done = (results: readonly (Result | undefined)[]) => {
      this.#stats.applied(entries.length);
      if (started !== undefined) {
        this.#stats.applyMs.observe((this.#scheduler.now?.() ?? started) - started);
      }
      return results;
    };
    const results = applyCommands(this.#stateMachine, entries);
    return isPromiseLike(results) ? results.then(done) : done(results);
  }

  #commitIndex(): Index {
    const state = this.#runtime.state;
    return state === undefined ? (0 as Index) : this.#reducer.commitIndex(state);
  }

  #sendAll(messages: readonly Message[]): void {
    this.#stats.sent(messages);
    for (const message of messages) this.#transport.send(message.to, message);
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
