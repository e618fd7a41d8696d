// The node runtime: the driver's turn, as one synchronous component without I/O. Theory of
// operation:
//
// Everything that happens to a node (a peer's message, a proposal, a tick of the clock) becomes an
// event in the inbox. A *turn* takes the whole inbox at once and, in this order:
//   1. steps the core once per event, collecting what each step asks for, then `flush` after
//      proposals, so that a turn's new entries leave as one AppendEntries per follower;
//   2. sends the steps' `messages` straight away: the core vouches that they promise nothing about
//      our disk (a leader's AppendEntries overlap its own log write, Raft thesis §10.2.1); starts
//      the snapshot chunk reads the core asked for (their bytes come back as events, later) and
//      stores the chunks of a snapshot being received (before the write that may install it);
//   3. merges every persist effect of the turn into ONE write (group commit); first applies and
//      settles the committed entries already on this node's disk (early-apply.ts), then waits for it;
//      then tells the core (`persisted`) and sends each effect's `then`, the messages that waited
//      for the write (votes and append acknowledgements: Raft paper Figure 2, "respond after
//      persisting"). A reply that vouches for an EARLIER step's write rides in its own (possibly
//      empty) persist effect, which the merged write covers: only the core decides what waits;
//   4. applies committed entries (and installed snapshots, streamed from storage) in log order,
//      tells the core (`applied`), and captures a snapshot when the policy says so: the shell
//      streams its bytes into storage in the background and enqueues `snapshot` once they are
//      durable, so a large state never holds up a turn (issue #11);
//   5. returns what the shell must tell the application (proposals to settle, events to emit).
// A turn is a generator: it yields I/O requests (io-request.ts) and is resumed with their
// completions, so `createNode` runs it with real storage and timers and the simulator with a
// simulated disk in virtual time, and both run the same rules. Turns never overlap: events that
// arrive during a turn wait for the next one, and so batch up naturally under load. What the core
// asks for while reacting to `persisted`, `applied` or `snapshot` is carried into the next turn if
// it needs a write of its own, so a turn writes exactly once.

import type { Config } from "../config.js";
import type { Effect, PersistEffect } from "../effect.js";
import type { Persisted, Snapshot } from "../entry.js";
import type { Event } from "../event.js";
import type { Index } from "../ids.js";
import type { PersistBatch } from "../interfaces.js";
import type { Message } from "../message.js";
import { ApplyTracker, type SnapshotPolicy } from "./apply-tracker.js";
import { durableAfterWrite, stableWhileWriting } from "./early-apply.js";
import type { IoCompletion, IoRequest } from "./io-request.js";
import type { Reducer, StepOutput } from "./reducer.js";

/** What the runtime needs of the core: `init` and `step` (reducer.ts). */
export type CoreSteps<State> = Pick<Reducer<State>, "init" | "step">;

import { type InboxMark, type RuntimeRules, shippedRules } from "./runtime-rules.js";
import { type TurnReport, TurnWork } from "./turn-work.js";

/** Observers of the runtime (the simulator's checkers; logging and metrics belong here too). */
export type RuntimeHooks<State> = {
  /** After every step of the core, before anything it asked for is carried out. */
  readonly stepped?: (event: Event, output: StepOutput<State>) => void;
};

/** How a `NodeRuntime` is set up besides the reducer and the configuration. */
export type RuntimeOptions<State> = {
  readonly snapshotPolicy: SnapshotPolicy;
  readonly hooks?: RuntimeHooks<State>;
  /** The runtime's rules; tests plant defects by replacing one (runtime-rules.ts). */
  readonly rules?: RuntimeRules;
};

/** A turn: yields I/O requests, is resumed with their completions, returns what to report. */
export type Turn<Result> = Generator<IoRequest<Result>, TurnReport<Result>, IoCompletion<Result>>;

/**
 * The driver's turn logic, synchronous and without I/O: events go in with `enqueue`, and each
 * `turn()` is a generator that yields the I/O it needs (`IoRequest`) in the order the effects
 * contract demands. `createNode` performs it with real storage, transport and timers; the simulator
 * with simulated ones.
 */
export class NodeRuntime<State, Result = unknown> {
  readonly #reducer: CoreSteps<State>;
  readonly #config: Config;
  readonly #hooks: RuntimeHooks<State>;
  readonly #rules: RuntimeRules;
  readonly tracker: ApplyTracker<Result>;
  #state: State | undefined;
  #inbox: Event[] = [];
  /** Effects from reacting to `persisted`/`applied`/`snapshot` that need a write: next turn. */
  #carried: Effect[] = [];
  /** The last log index on this node's disk (what the writes so far made durable). */
  #durable = 0 as Index;
  #inboxGeneration = 0;
  #ticksQueued = 0;

  constructor(reducer: CoreSteps<State>, config: Config, options: RuntimeOptions<State>) {
    this.#reducer = reducer;
    this.#config = config;
    this.#hooks = options.hooks ?? {};
    this.#rules = options.rules ?? shippedRules;
    this.tracker = new ApplyTracker(options.snapshotPolicy);
  }

  /**
   * Starts the core from what storage loaded. The shell restores the state machine from
   * `persisted.snapshot` (if any) before the first turn: it begins where it left off.
   */
  load(loaded: Persisted): void {
    const persisted = this.#rules.recovered(loaded);
    this.#state = this.#reducer.init(this.#config, persisted);
    this.#emptyInbox();
    this.#carried = [];
    this.#durable = (persisted.entries.at(-1)?.index ?? persisted.snapshot?.index ?? 0) as Index;
    // A snapshot whose bytes were lost restores nothing: the state machine holds nothing until
    // the leader's snapshot is installed (reads wait for that too).
    if (persisted.snapshot !== null && persisted.snapshotBytesLost !== true) {
      this.tracker.restored(persisted.snapshot);
    }
  }

  get loaded(): boolean {
    return this.#state !== undefined;
  }

  /** The core's state, or undefined before `load`. */
  get state(): State | undefined {
    return this.#state;
  }

  /**
   * Where the inbox stands: the times it was taken (by a turn) or emptied, so events queued in
   * the current generation are not stepped yet, and the ticks queued so far. Reads share a core
   * read only by the rule `readJoins` on these marks (reads.ts).
   */
  get inboxMark(): InboxMark {
    return { generation: this.#inboxGeneration, ticksQueued: this.#ticksQueued };
  }

  #emptyInbox(): Event[] {
    const events = this.#inbox;
    this.#inbox = [];
    this.#inboxGeneration += 1;
    return events;
  }

  /** Queues an event for the next turn. */
  enqueue(event: Event): void {
    if (event.type === "tick") this.#ticksQueued += 1;
    this.#inbox.push(event);
  }

  /** Whether a turn has something to do. */
  get hasWork(): boolean {
    return this.#inbox.length > 0 || this.#carried.length > 0;
  }

  /** Empties the inbox (the node stops): returns the events that will never be stepped. */
  drainInbox(): Event[] {
    return this.#emptyInbox();
  }

  /**
   * The write still owed when the node stops: what the core asked for after the last write (a
   * newer commit index, say). Nothing is sent any more, so the messages waiting on it are dropped.
   */
  takeFinalWrite(): PersistBatch | null {
    const persists = this.#carried.filter(isPersist);
    this.#carried = [];
    return this.#rules.merge(persists);
  }

  /** Forgets what was carried: after a failure, nothing of it may reach storage. */
  abandon(): void {
    this.#carried = [];
    this.#emptyInbox();
  }

  /** Runs one turn over every queued event: step them, write once, send, apply, then report. */
  *turn(): Turn<Result> {
    const rules = this.#rules;
    const work = new TurnWork<Result>();
    work.add(this.#carried);
    this.#carried = [];
    const events = this.#emptyInbox();
    const sendNow: Message[] = [];
    let proposed = false;
    for (const event of events) {
      this.#stepInto(event, work, sendNow);
      if (event.type === "propose") proposed = true;
    }
    // The batch ends here: the core sends what the proposals left for busy followers in one
    // AppendEntries each, not one per proposal (event.ts, `flush`).
    if (proposed) this.#stepInto({ type: "flush" }, work, sendNow);
    const batch = rules.merge(work.persists);
    const { persisted: persistedAfter, release: releaseAfter } = rules.durableAfterWrite;
    const afterWrite: Message[] = [];
    if (!releaseAfter) this.#release(work, sendNow);
    if (!persistedAfter) this.#persisted(batch, work, sendNow);
    if (sendNow.length > 0) yield { type: "send", messages: sendNow };
    // Delegating only when there is work: a generator per call is an allocation per turn.
    if (work.snapshotIo.length > 0) yield* this.#snapshotIo(work);

    if (batch !== null) {
      if (work.applies.length > 0) yield* this.#applyBeforeWrite(batch, work);
      yield { type: "write", batch };
      this.#durable = durableAfterWrite(this.#durable, batch);
    }
    // The messages that waited go first, then what the core answers to `persisted`.
    if (releaseAfter) this.#release(work, afterWrite);
    if (persistedAfter) this.#persisted(batch, work, afterWrite);
    if (afterWrite.length > 0) yield { type: "send", messages: afterWrite };

    if (work.applies.length > 0) yield* this.#applyAll(work);
    // A follower that lost its snapshot's bytes may want one when nothing new was applied.
    if (this.tracker.wantedDue()) yield* this.#snapshotIfDue(true);
    if (work.snapshotIo.length > 0) yield* this.#snapshotIo(work);
    return { work, appliedIndex: this.tracker.appliedIndex };
  }

  /**
   * Applies (and settles) the committed entries already on this node's disk before the turn's
   * write, so that their clients do not wait for the fsync of newer entries (early-apply.ts).
   */
  *#applyBeforeWrite(
    batch: PersistBatch,
    work: TurnWork<Result>,
  ): Generator<IoRequest<Result>, void, IoCompletion<Result>> {
    const stable = stableWhileWriting(this.#durable, batch);
    const count = this.#rules.appliesBeforeWrite(work.applies, stable);
    if (count === 0) return;
    const early = new TurnWork<Result>();
    early.applies = work.applies.slice(0, count);
    work.applies = work.applies.slice(count);
    yield* this.#applyAll(early);
    // A snapshot chunk the `applied` step asked for belongs to the rest of the turn; its notices
    // settle now with the entries they follow (a step that asks for a write is carried whole).
    for (const io of early.takeSnapshotIo()) work.snapshotIo.push(io);
    yield { type: "settle", report: { work: early, appliedIndex: this.tracker.appliedIndex } };
  }

  /** Tells the core what the turn's write made durable (`persisted`). */
  #persisted(batch: PersistBatch | null, work: TurnWork<Result>, messages: Message[]): void {
    const written = batch === null ? null : this.#rules.lastWritten(batch);
    if (written !== null) this.#stepAfter({ type: "persisted", ...written }, work, messages);
  }

  /** The messages that waited for the turn's write (each persist effect's `then`). */
  #release(work: TurnWork<Result>, messages: Message[]): void {
    for (const effect of work.persists) for (const message of effect.then) messages.push(message);
  }

  /** Steps an inbox event: its effects belong to this turn. */
  #stepInto(event: Event, work: TurnWork<Result>, messages: Message[]): void {
    const output = this.#step(event);
    for (const message of output.messages) messages.push(message);
    work.add(output.effects);
    if (event.type === "snapshot") this.tracker.snapshotStored(snapshotInForce(output), work);
    for (const effect of output.effects) {
      if (effect.type === "snapshotWanted") this.tracker.want(effect.index);
    }
  }

  /**
   * Captures a snapshot when the policy (after applies) or a follower that lost its own (at any
   * time: `wantedOnly`) wants one now.
   */
  *#snapshotIfDue(wantedOnly = false): Generator<IoRequest<Result>, void, IoCompletion<Result>> {
    const tracker = this.tracker;
    if (!(wantedOnly ? tracker.wantedDue() : tracker.snapshotDue())) return;
    // Only the capture happens in the turn; the shell enqueues `snapshot` once it is stored.
    const index = this.#rules.snapshotIndex(tracker.appliedIndex);
    yield { type: "takeSnapshot", index };
    tracker.snapshotTaken(index);
  }

  /** Starts the chunk reads and performs the chunk writes queued so far, in order. */
  *#snapshotIo(work: TurnWork<Result>): Generator<IoRequest<Result>, void, IoCompletion<Result>> {
    for (const io of work.takeSnapshotIo()) yield io;
  }

  /** Steps an event fed after the turn's write; a further write waits for the next turn. */
  #stepAfter(event: Event, work: TurnWork<Result>, messages: Message[]): void {
    const output = this.#step(event);
    for (const message of output.messages) messages.push(message);
    // Keep the whole step together: if it asks for a write, its applies and notices wait for it.
    if (output.effects.some(isPersist)) {
      for (const effect of output.effects) this.#carried.push(effect);
    } else {
      work.add(output.effects);
    }
  }

  #step(event: Event): StepOutput<State> {
    const output = this.#reducer.step(this.#state as State, event);
    this.#state = output.state;
    this.#hooks.stepped?.(event, output);
    return output;
  }

  *#applyAll(work: TurnWork<Result>): Generator<IoRequest<Result>, void, IoCompletion<Result>> {
    const tracker = this.tracker;
    for (let applies = work.takeApplies(); applies.length > 0; applies = work.takeApplies()) {
      const appliedBefore = tracker.appliedIndex;
      for (const effect of fromLastRestore(applies)) {
        if (effect.type === "apply") {
          tracker.checkOrder(effect.entries);
          const results = (yield { type: "apply", entries: effect.entries }) as readonly (
            | Result
            | undefined
          )[];
          tracker.applied(effect.entries, results, work);
        } else {
          yield { type: "restore", snapshot: effect.snapshot };
          tracker.restored(effect.snapshot);
          work.restored(effect.snapshot);
        }
      }
      const messages: Message[] = [];
      if (tracker.appliedIndex > appliedBefore) {
        this.#stepAfter({ type: "applied", index: tracker.appliedIndex }, work, messages);
      }
      yield* this.#snapshotIfDue();
      if (messages.length > 0) yield { type: "send", messages };
    }
  }
}

/**
 * The applies from the last restore on. Two snapshots received in one turn are written as one
 * batch holding only the later (group commit), and storage keeps only that one's bytes: the
 * earlier restore and the entries applied between are covered by the later snapshot anyway.
 */
function fromLastRestore<T extends { readonly type: string }>(applies: readonly T[]): readonly T[] {
  for (let i = applies.length - 1; i > 0; i--) {
    if (applies[i]!.type === "restore") return applies.slice(i);
  }
  return applies;
}

/** The snapshot a `snapshot` event's step put in force (persisted), or null if it changed nothing. */
function snapshotInForce(output: StepOutput<unknown>): Snapshot | null {
  for (const effect of output.effects) {
    if (effect.type === "persist" && effect.snapshot !== undefined) return effect.snapshot;
  }
  return null;
}

function isPersist(effect: Effect): effect is PersistEffect {
  return effect.type === "persist";
}
