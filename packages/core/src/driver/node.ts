// The node driver: runs the pure core against the world. Theory of operation:
//
// Everything that happens to a node (a peer's message, a proposal, a tick of the clock) becomes an
// event in the inbox. A *turn* takes the whole inbox at once and, in this order:
//   1. steps the core once per event, collecting what each step asks for;
//   2. sends the steps' `messages` straight away: they promise nothing about our disk, so a
//      leader's AppendEntries overlap its own log write (Raft thesis §10.2.1);
//   3. merges every persist effect of the turn into ONE storage write (group commit) and waits
//      for it; then tells the core (`persisted`) and sends the messages that waited for the write
//      (votes and append acknowledgements: Raft paper Figure 2, "respond after persisting");
//   4. applies committed entries (and installed snapshots) to the state machine, in log order,
//      and tells the core (`applied`);
//   5. settles proposals and emits events.
// Turns never overlap: events that arrive during a turn wait for the next one, and so batch up
// naturally under load. What the core asks for while reacting to `persisted` or `applied` is
// carried into the next turn if it needs a write of its own, so a turn writes exactly once.
// Any failure of storage, of the state machine or of the core stops the node: continuing on state
// that may not match the disk is how replicas silently diverge.

import type { Emitter } from "mitt";
import { type Config, validateConfig } from "../config.js";
import type { Effect, PersistEffect } from "../effect.js";
import { ConfigError, FlotillaError, InvalidEventError } from "../errors.js";
import type { Event } from "../event.js";
import type { Index, NodeId, Term } from "../ids.js";
import type { PersistBatch, Storage, Transport } from "../interfaces.js";
import type { Message } from "../message.js";
import { Applier } from "./applier.js";
import { StoppedError, StorageFailedError } from "./errors.js";
import { lastWritten, mergePersistEffects } from "./merge-persist.js";
import { validateDriverOptions } from "./node-options.js";
import { Notifier } from "./notifier.js";
import { ProposalRegistry } from "./proposals.js";
import { type Reducer, raftReducer } from "./reducer.js";
import { hostScheduler, type Scheduler, type TimerHandle } from "./scheduler.js";
import { TurnWork } from "./turn-work.js";
import type {
  FlotillaNode,
  NodeEvents,
  NodeOptions,
  NodePhase,
  NodeStatus,
  ProposeOptions,
} from "./types.js";

/** Creates a node (not yet started): the application's handle on one Raft member. */
export function createNode<Result = unknown>(options: NodeOptions<Result>): FlotillaNode<Result> {
  return new Driver(raftReducer, options);
}

/** `createNode` around a given core: for tests that wrap the real reducer to inject failures. */
export function createNodeWith<State, Result>(
  reducer: Reducer<State>,
  options: NodeOptions<Result>,
): FlotillaNode<Result> {
  return new Driver(reducer, options);
}

class Driver<State, Result> implements FlotillaNode<Result> {
  readonly id: NodeId;
  readonly events: Emitter<NodeEvents>;
  readonly #reducer: Reducer<State>;
  readonly #config: Config;
  readonly #transport: Transport;
  readonly #storage: Storage;
  readonly #applier: Applier<Result>;
  readonly #scheduler: Scheduler;
  readonly #tickMs: number;
  readonly #proposalTimeoutMs: number | undefined;
  readonly #proposals: ProposalRegistry<Result>;

  #phase: NodePhase = "created";
  #state: State | undefined;
  #inbox: Event[] = [];
  /** Effects from reacting to `persisted`/`applied` that need a write: done in the next turn. */
  #carried: Effect[] = [];
  #turn: Promise<void> | null = null;
  #kickQueued = false;
  #tickTimer: TimerHandle | undefined;
  #unlisten: (() => void) | undefined;
  #started: Promise<void> | undefined;
  #stopped: Promise<void> | undefined;

  readonly #notifier: Notifier<Result>;

  constructor(reducer: Reducer<State>, options: NodeOptions<Result>) {
    const {
      transport,
      storage,
      stateMachine,
      tickMs,
      scheduler,
      proposalTimeoutMs,
      snapshotEveryEntries,
      snapshotEveryBytes,
      ...configInput
    } = options;
    this.#config = validateConfig(configInput);
    validateDriverOptions(options);
    this.id = this.#config.id;
    this.#reducer = reducer;
    this.#transport = transport;
    this.#storage = storage;
    this.#applier = new Applier(stateMachine, {
      everyEntries: snapshotEveryEntries,
      everyBytes: snapshotEveryBytes,
    });
    this.#tickMs = tickMs;
    this.#scheduler = scheduler ?? hostScheduler;
    this.#proposalTimeoutMs = proposalTimeoutMs;
    this.#proposals = new ProposalRegistry(this.#scheduler);
    this.#notifier = new Notifier(this.#proposals, this.#scheduler);
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

  campaign(): void {
    if (this.#phase === "running" || this.#phase === "starting") {
      this.#enqueue({ type: "campaign" });
    }
  }

  status(): NodeStatus {
    const core = this.#state === undefined ? undefined : this.#reducer.status(this.#state);
    return {
      id: this.id,
      phase: this.#phase,
      role: core?.role ?? "follower",
      term: core?.term ?? (0 as Term),
      leader: core?.leader ?? null,
      commitIndex: core?.commit ?? (0 as Index),
      appliedIndex: this.#applier.appliedIndex,
      lastLogIndex: core?.lastLogIndex ?? (0 as Index),
      snapshotIndex: this.#applier.snapshotIndex,
      pendingProposals: this.#proposals.size,
      droppedMessages: this.#notifier.droppedMessages,
    };
  }

  async #start(): Promise<void> {
    if (this.#phase !== "created") throw new StoppedError("the node was stopped; create a new one");
    this.#phase = "starting";
    let persisted: Awaited<ReturnType<Storage["load"]>>;
    try {
      persisted = await this.#storage.load();
    } catch (error) {
      throw this.#fail(new StorageFailedError("load", error));
    }
    try {
      this.#state = this.#reducer.init(this.#config, persisted);
    } catch (error) {
      throw this.#fail(error);
    }
    this.#notifier.loaded(persisted.hardState.term, persisted.snapshot?.index ?? (0 as Index));
    if (persisted.snapshot !== null) {
      try {
        await this.#applier.load(persisted.snapshot);
      } catch (error) {
        throw this.#fail(error);
      }
    }
    if (this.#phase !== "starting") return; // stop() or a failure came first
    this.#unlisten = this.#transport.onMessage((message) => {
      this.#enqueue({ type: "receive", message });
    });
    this.#phase = "running";
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
    if (this.#phase !== "stopping") return; // the last turn failed; #fail did the rest
    try {
      // What the core asked for after the last write (e.g. a newer commit index) is still owed
      // to storage; nothing is sent any more, so the messages waiting on it are dropped.
      const batch = mergePersistEffects(this.#carried.filter(isPersist));
      this.#carried = [];
      if (batch !== null) await this.#persist(batch);
    } catch (error) {
      this.#fail(error);
      return;
    }
    this.#proposals.rejectAll(() => new StoppedError());
    this.#phase = "stopped";
  }

  #enqueue(event: Event): void {
    this.#inbox.push(event);
    this.#kick();
  }

  /** Starts a turn after the current job, so events arriving together share it. */
  #kick(): void {
    if (this.#phase !== "running" || this.#turn !== null || this.#kickQueued) return;
    if (this.#inbox.length === 0 && this.#carried.length === 0) return;
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
      while (this.#phase === "running" && (this.#inbox.length > 0 || this.#carried.length > 0)) {
        await this.#turnOnce();
      }
    } catch (error) {
      this.#fail(error);
    }
  }

  async #turnOnce(): Promise<void> {
    const work = new TurnWork<Result>();
    work.add(this.#carried);
    this.#carried = [];
    const events = this.#inbox;
    this.#inbox = [];
    const sendNow: Message[] = [];
    for (const event of events) this.#stepInto(event, work, sendNow);
    this.#sendAll(sendNow);

    const batch = mergePersistEffects(work.persists);
    if (batch !== null) await this.#persist(batch);
    const written = batch === null ? null : lastWritten(batch);
    const afterWrite: Message[] = [];
    if (written !== null) this.#stepAfter({ type: "persisted", ...written }, work, afterWrite);
    for (const effect of work.persists) this.#sendAll(effect.then);
    this.#sendAll(work.heldForWrite);
    this.#sendAll(afterWrite);

    await this.#applyAll(work);
    const commitIndex = this.#reducer.commitIndex(this.#state as State);
    this.#notifier.finish(work, commitIndex, this.#applier.appliedIndex);
  }

  /**
   * Steps an inbox event: its effects belong to this turn. Once an earlier step of the turn asked
   * for a write, a reply from this step may vouch for that write (an append acknowledged again, a
   * vote granted again), so replies wait for it too; only the leader's replication traffic may
   * overlap a write (thesis §10.2.1). The core marks what depends on its own step's write; this
   * covers what depends on the writes of the steps before it.
   */
  #stepInto(event: Event, work: TurnWork<Result>, messages: Message[]): void {
    const writing = work.persists.length > 0;
    const output = this.#reducer.step(this.#state as State, event);
    this.#state = output.state;
    for (const message of output.messages) {
      if (writing && !mayOverlapWrite(message)) work.heldForWrite.push(message);
      else messages.push(message);
    }
    work.add(output.effects);
  }

  /** Steps an event fed after the turn's write; a further write waits for the next turn. */
  #stepAfter(event: Event, work: TurnWork<Result>, messages: Message[]): void {
    const output = this.#reducer.step(this.#state as State, event);
    this.#state = output.state;
    const lastPersist = output.effects.filter(isPersist).at(-1);
    if (lastPersist === undefined) {
      for (const message of output.messages) messages.push(message);
      work.add(output.effects);
      return;
    }
    // Keep the whole step together: its applies, notices and replies wait for its write.
    const held: Message[] = [];
    for (const message of output.messages)
      (mayOverlapWrite(message) ? messages : held).push(message);
    for (const effect of output.effects) {
      this.#carried.push(
        effect === lastPersist && held.length > 0
          ? { ...lastPersist, then: [...lastPersist.then, ...held] }
          : effect,
      );
    }
  }

  async #persist(batch: PersistBatch): Promise<void> {
    try {
      await this.#storage.persist(batch);
    } catch (error) {
      throw new StorageFailedError("persist", error);
    }
  }

  async #applyAll(work: TurnWork<Result>): Promise<void> {
    const applier = this.#applier;
    for (let applies = work.takeApplies(); applies.length > 0; applies = work.takeApplies()) {
      const appliedBefore = applier.appliedIndex;
      for (const effect of applies) {
        if (effect.type === "apply") await applier.apply(effect.entries, work);
        else await applier.restore(effect.snapshot, work);
      }
      const messages: Message[] = [];
      if (applier.appliedIndex > appliedBefore) {
        this.#stepAfter({ type: "applied", index: applier.appliedIndex }, work, messages);
      }
      const snapshot = await applier.snapshotIfDue(work);
      if (snapshot !== null) this.#stepAfter({ type: "snapshot", ...snapshot }, work, messages);
      this.#sendAll(messages);
    }
  }

  #sendAll(messages: readonly Message[]): void {
    for (const message of messages) this.#transport.send(message.to, message);
  }

  #armTick(): void {
    this.#tickTimer = this.#scheduler.setTimeout(() => {
      this.#tickTimer = undefined;
      if (this.#phase !== "running") return;
      this.#enqueue({ type: "tick" });
      this.#armTick();
    }, this.#tickMs);
  }

  /** Stops time and input, and rejects proposals still in the inbox. */
  #quiesce(makeError: () => Error): void {
    if (this.#tickTimer !== undefined) this.#scheduler.clearTimeout(this.#tickTimer);
    this.#tickTimer = undefined;
    this.#unlisten?.();
    this.#unlisten = undefined;
    for (const event of this.#inbox) {
      if (event.type === "propose") this.#proposals.reject(event.id, makeError());
    }
    this.#inbox = [];
  }

  /** Stops the node for good after an error; returns the error as reported. */
  #fail(cause: unknown): FlotillaError {
    const error =
      cause instanceof FlotillaError
        ? cause
        : new FlotillaError("INTERNAL", `the node failed: ${String(cause)}`, { cause });
    if (this.#phase === "failed" || this.#phase === "stopped") return error;
    this.#phase = "failed";
    const stopped = () => new StoppedError(`the node failed: ${error.message}`, { cause: error });
    this.#quiesce(stopped);
    this.#carried = [];
    this.#proposals.rejectAll(stopped);
    this.#notifier.emit("error", error);
    return error;
  }
}

/** A leader's replication may be sent while a write is in flight; nothing else may. */
function mayOverlapWrite(message: Message): boolean {
  return message.type === "appendEntries" || message.type === "installSnapshot";
}

function isPersist(effect: Effect): effect is PersistEffect {
  return effect.type === "persist";
}
