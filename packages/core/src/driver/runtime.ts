// The node runtime: the driver's turn, as one synchronous component without I/O. Theory of
// operation:
//
// Everything that happens to a node (a peer's message, a proposal, a tick of the clock) becomes an
// event in the inbox. A *turn* takes the whole inbox at once and, in this order:
//   1. if the write in flight has become durable: sends the messages that waited for it (each
//      persist effect's `then`: votes and append acknowledgements, Raft paper Figure 2, "respond
//      after persisting") and tells the core (`persisted`), which is when a leader counts its own
//      copy towards a commit (thesis §10.2.1);
//   2. steps the core once per event (once per run of consecutive proposals: `proposeBatch`),
//      collecting what each step asks for, then `flush` after proposals, so that a turn's new
//      entries leave as one AppendEntries per follower;
//   3. sends the steps' `messages` straight away: the core vouches that they promise nothing about
//      our disk (a leader's AppendEntries overlap its own log write), unless this node stands or
//      leads in a term not yet on its disk (a candidate, a single voter that just elected itself):
//      then it holds them and steps nothing more until that term is durable (term-barrier.ts),
//      though a candidate's RequestVotes leave at once when the log they claim is on its disk
//      (`requestsVoteBeforeWrite`, runtime-rules.ts); with no write in flight,
//      starts the snapshot chunk reads the core asked for (their bytes come back as events, later)
//      and stores the chunks of a snapshot being received (before the write that may install it);
//   4. applies committed entries (and installed snapshots, streamed from storage) in log order once
//      they are on this node's disk (held-work.ts), tells the core (`applied`), and captures a
//      snapshot when the policy says so: the shell streams its bytes into storage in the
//      background and enqueues `snapshot` once they are durable (issue #11);
//   5. if no write is in flight, merges every persist effect asked for since the last write into
//      ONE write (group commit) and hands it to the shell WITHOUT waiting for it (write-pipeline.ts):
//      the next turns step events while it is in flight, and the shell calls `written()` once it is
//      durable. Messages that vouch for a write wait for that write, not an earlier one. Unless
//      snapshot I/O or a restore waits, this write is handed over right after step 3's sends,
//      before the applies, so the disk works while they run (issue #10);
//   6. returns what the shell must tell the application (notices whose writes are durable,
//      proposals to settle, events to emit).
// A turn is a generator: it yields I/O requests (io-request.ts) and is resumed with their
// completions, so `createNode` runs it with real storage and timers and the simulator with a
// simulated disk in virtual time, and both run the same rules. Turns never overlap: events that
// arrive during a turn wait for the next one, and so batch up naturally under load.

import type { Config } from "../config.js";
import type { Effect, PersistEffect } from "../effect.js";
import type { Persisted } from "../entry.js";
import type { Event } from "../event.js";
import type { Index } from "../ids.js";
import type { PersistBatch } from "../interfaces.js";
import { noItems, pushAll } from "../internal/lists.js";
import type { Message } from "../message.js";
import { persistEffect } from "../persist-shape.js";
import { ApplyTracker, type SnapshotPolicy } from "./apply-tracker.js";
import { fromLastRestore, HeldWork } from "./held-work.js";
import type { IoCompletion, IoRequest } from "./io-request.js";
import type { Reducer, StepOutput } from "./reducer.js";
import { type InboxMark, type RuntimeRules, shippedRules } from "./runtime-rules.js";
import { TermBarrier } from "./term-barrier.js";
import { snapshotInForce, type TurnReport, TurnWork } from "./turn-work.js";
import { WritePipeline } from "./write-pipeline.js";

/** What the runtime needs of the core: `init` and `step` (reducer.ts). */
export type CoreSteps<State> = Pick<Reducer<State>, "init" | "step">;

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
export type Turn<Result> = Generator<IoRequest, TurnReport<Result>, IoCompletion<Result>>;

type TurnIo<Result> = Generator<IoRequest, void, IoCompletion<Result>>;

/** No messages: most steps leave none early (shared, so that they build no array). */
const noMessages: readonly Message[] = noItems;

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
  readonly #writes = new WritePipeline();
  readonly #held = new HeldWork();
  /** A leader of a term not yet durable steps and sends nothing more until it is. */
  readonly #termBarrier: TermBarrier;
  #state: State | undefined;
  #inbox: Event[] = [];
  #inboxGeneration = 0;
  #ticksQueued = 0;

  constructor(reducer: CoreSteps<State>, config: Config, options: RuntimeOptions<State>) {
    this.#reducer = reducer;
    this.#config = config;
    this.#hooks = options.hooks ?? {};
    this.#rules = options.rules ?? shippedRules;
    this.tracker = new ApplyTracker(options.snapshotPolicy);
    this.#termBarrier = new TermBarrier(this.#rules.actsInTerm);
  }

  /**
   * Starts the core from what storage loaded. The shell restores the state machine from
   * `persisted.snapshot` (if any) before the first turn: it begins where it left off.
   */
  load(loaded: Persisted): void {
    const persisted = this.#rules.recovered(loaded);
    this.#state = this.#reducer.init(this.#config, persisted);
    this.#emptyInbox();
    this.#held.clear();
    const durable = persisted.entries.at(-1)?.index ?? persisted.snapshot?.index ?? 0;
    this.#writes.reset(durable as Index);
    this.#termBarrier.reset(persisted.hardState.term);
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
    const steppable = this.#inbox.length > 0 && this.#termBarrier.open;
    return steppable || this.#writes.completed || this.#writes.canStart;
  }

  /**
   * Whether the only work waiting is to take up the write just reported durable: no event is
   * queued, so the turn that takes it up has nothing to wait for and batch with (turn-shell.ts).
   */
  get onlyWriteCompleted(): boolean {
    return this.#inbox.length === 0 && this.#writes.completed;
  }

  /** Whether a write handed to the shell is not yet reported durable (`written`). */
  get writing(): boolean {
    return this.#writes.writing && !this.#writes.completed;
  }

  /** The shell: the write the last `write` request handed over is durable. A turn takes it up. */
  written(): void {
    this.#writes.complete();
  }

  /** Empties the inbox (the node stops): returns the events that will never be stepped. */
  drainInbox(): Event[] {
    return this.#emptyInbox();
  }

  /**
   * The write still owed when the node stops (once the write in flight is durable): what the core
   * asked for since. Nothing is sent any more, so the messages waiting on it are dropped.
   */
  takeFinalWrite(): PersistBatch | null {
    // The core hears of the last write (a single node's commit may follow from it); what it
    // would send is dropped.
    if (this.#writes.completed) this.#completeWrite([]);
    if (this.#writes.writing) return null;
    return this.#rules.merge(this.#writes.takeUnwritten());
  }

  /** Forgets what waits: after a failure, nothing of it may reach storage. */
  abandon(): void {
    this.#writes.reset(this.#writes.durableIndex);
    this.#termBarrier.dropHeld();
    this.#held.clear();
    this.#emptyInbox();
  }

  /** Runs one turn over every queued event: step them, send, apply, start a write, report. */
  *turn(): Turn<Result> {
    const work = new TurnWork<Result>();
    const sendNow: Message[] = [];
    if (this.#writes.completed) this.#completeWrite(sendNow);
    let proposed = false;
    const events = this.#termBarrier.open ? this.#emptyInbox() : [];
    for (let i = 0; i < events.length; i++) {
      if (!this.#termBarrier.open) {
        // Leader of a term not on disk yet: the rest waits for the write holding it (term-barrier.ts).
        this.#inbox.unshift(...events.slice(i));
        break;
      }
      const event = events[i]!;
      if (event.type === "propose") {
        // A run of proposals is one step (event.ts, `proposeBatch`): under load a turn holds
        // dozens, and a step per proposal copied the state and built outputs for each (issue 10).
        const end = proposalRunEnd(events, i);
        this.#stepInto(end === i + 1 ? event : proposalBatch(events, i, end), work, sendNow);
        i = end - 1;
        proposed = true;
        continue;
      }
      this.#stepInto(event, work, sendNow);
    }
    // The batch ends here: the core sends what the proposals left for busy followers in one
    // AppendEntries each, not one per proposal (event.ts, `flush`).
    if (proposed) this.#stepInto({ type: "flush" }, work, sendNow);
    if (sendNow.length > 0) yield { type: "send", messages: sendNow };
    // The write goes to storage before the applies, so the disk works while they run: a
    // follower's write (and so its acknowledgement) waited for the applies of the entries its
    // AppendEntries committed (issue #10). After the sends, which it would delay (its merge and
    // encoding run before storage hands it to the kernel). What may be applied is unchanged: the
    // turn applied again after its write started. Snapshot I/O and restores keep their place
    // before the write (they wait for no write).
    if (this.#writes.canStart && !this.#held.hasSnapshotIo && !this.#held.hasRestores) {
      const released: Message[] = [];
      yield* this.#beginWrite(released);
      if (released.length > 0) yield { type: "send", messages: released };
    }
    // Each sub-generator is entered only when it has something to do: most turns have none of
    // them, and building a generator costs an allocation (issue #15: the fast-forward's events).
    if (this.#snapshotIoReady) yield* this.#snapshotIo();
    if (this.#held.hasApplies) yield* this.#applyReady(work);
    // A follower that lost its snapshot's bytes may want one when nothing new was applied.
    if (this.tracker.wantedDue()) yield* this.#snapshotIfDue(true);
    if (this.#writes.canStart) yield* this.#startWrite(work);
    work.notices = this.#held.takeNotices(this.#writes.durableCount);
    return { work, appliedIndex: this.tracker.appliedIndex };
  }

  /** The write in flight is durable: release what waited for it, then tell the core. */
  #completeWrite(messages: Message[]): void {
    const { release, persisted } = this.#rules.durableAfterWrite;
    const done = this.#writes.takeCompleted();
    this.#termBarrier.written(done.batch);
    // The messages that waited go first, then what the core answers to `persisted`.
    if (release) pushAll(messages, this.#rules.releasedBy(done.effects, this.#writes.unwritten));
    pushAll(messages, this.#termBarrier.release());
    if (persisted) this.#persisted(done.batch, messages);
  }

  /** Hands every persist effect asked for since the last write to storage as one batch. */
  *#startWrite(work: TurnWork<Result>): TurnIo<Result> {
    const messages: Message[] = [];
    yield* this.#beginWrite(messages);
    if (messages.length > 0) yield { type: "send", messages };
    // What the core answered to an early `persisted` may ask for applies or a snapshot chunk.
    if (this.#snapshotIoReady) yield* this.#snapshotIo();
    if (this.#held.hasApplies) yield* this.#applyReady(work);
  }

  /**
   * Merges the persist effects waiting into one write and hands it over (or, with nothing new to
   * write, counts them durable); `messages` gets what that lets leave, for the caller to send.
   */
  *#beginWrite(messages: Message[]): TurnIo<Result> {
    const writes = this.#writes;
    const { release, persisted } = this.#rules.durableAfterWrite;
    // Only up to the first snapshot chunk I/O that waits for some of them: it goes in between.
    const effects = writes.takeUnwritten(this.#held.firstSnapshotIoAfter);
    const batch = this.#rules.merge(effects);
    if (batch === null) {
      // Nothing new to write: what the effects vouch for is on disk already (no write in flight).
      writes.nothingToWrite(effects);
      if (release) for (const effect of effects) for (const m of effect.then) messages.push(m);
    } else {
      writes.begin(batch, effects);
      if (!persisted) this.#persisted(batch, messages);
      yield { type: "write", batch };
    }
  }

  /** Tells the core what a write made durable (`persisted`). */
  #persisted(batch: PersistBatch, messages: Message[]): void {
    const written = this.#rules.lastWritten(batch);
    if (written !== null) this.#step({ type: "persisted", ...written }, messages);
  }

  /** Steps an inbox event: its messages leave this turn, its effects are filed. */
  #stepInto(event: Event, work: TurnWork<Result>, messages: Message[]): void {
    const output = this.#step(event, messages);
    if (event.type === "snapshot") this.tracker.snapshotStored(snapshotInForce(output), work);
  }

  /**
   * Starts the chunk reads and performs the chunk writes asked for so far, in order, when no write
   * is in flight: storage serves its calls in order (FileStorage queues them), so they would wait
   * for it anyway, and a chunk write still comes before the write that installs its snapshot.
   */
  *#snapshotIo(): TurnIo<Result> {
    for (const io of this.#held.takeSnapshotIo(this.#writes.durableCount)) yield io;
  }

  /** Whether `#snapshotIo` may start something: chunk I/O waits and no write is in flight. */
  get #snapshotIoReady(): boolean {
    return this.#held.hasSnapshotIo && !this.#writes.writing;
  }

  /**
   * Steps the core and files what it asked for: messages to send now, persist effects for the next
   * write, applies and notices held until what they need is durable (held-work.ts).
   */
  #step(event: Event, messages: Message[]): StepOutput<State> {
    const output = this.#reducer.step(this.#state as State, event);
    this.#state = output.state;
    this.#hooks.stepped?.(event, output);
    const first = messages.length;
    const early = this.#file(output.effects, messages);
    // Candidate or leader of a term not yet on disk (perhaps from this step): what it says in that
    // term waits, but for the RequestVotes that may go first (they ask; the node acts on the
    // answers only once its term is durable).
    if (!this.#termBarrier.open) this.#termBarrier.hold(output.messages);
    else if (messages.length === first) pushAll(messages, output.messages);
    else messages.splice(first, 0, ...output.messages);
    pushAll(messages, early);
    return output;
  }

  /** Files the effects; returns the messages of persist effects that leave before their write. */
  #file(effects: readonly Effect[], messages: Message[]): readonly Message[] {
    const writes = this.#writes;
    let early: readonly Message[] = noMessages;
    for (let i = 0; i < effects.length; i++) {
      const effect = effects[i]!;
      switch (effect.type) {
        case "persist":
          early = this.#fileWrite(effect);
          // A planted defect only: the messages that should wait for the write leave now.
          if (!this.#rules.durableAfterWrite.release) for (const m of effect.then) messages.push(m);
          break;
        case "apply":
        case "restore":
          this.#held.apply(effect, writes.steppedCount);
          break;
        case "readSnapshotChunk":
        case "writeSnapshotChunk":
          this.#held.snapshotIo(effect, writes.steppedCount);
          break;
        default:
          if (effect.type === "snapshotWanted") this.tracker.want(effect.index);
          if (
            effect.type === "roleChanged" &&
            (effect.role === "candidate" || effect.role === "leader")
          ) {
            this.#termBarrier.actsIn(effect.term);
          }
          // A proposal's acceptance waits for no write, only behind the notices before it: its
          // entry may be applied before this node's copy is durable (early-apply.ts), and the
          // registry must know where that proposal sits by then (held-work.ts).
          this.#held.notice(effect, effect.type === "proposalAccepted" ? 0 : writes.steppedCount);
      }
    }
    return early;
  }

  /**
   * Queues a persist effect for the next write; returns the messages it holds that may leave
   * before it is durable (`requestsVoteBeforeWrite`: a candidate's RequestVote whose log is on disk).
   */
  #fileWrite(effect: PersistEffect): readonly Message[] {
    const writes = this.#writes;
    const sendsNow = this.#rules.requestsVoteBeforeWrite;
    if (effect.then.length === 0) {
      writes.add(effect);
      return noMessages;
    }
    const held: Message[] = [];
    writes.add(
      persistEffect(effect.hardState, effect.snapshot, effect.truncateFrom, effect.entries, held),
    );
    const stable = writes.stableIndex();
    const early: Message[] = [];
    for (const message of effect.then) (sendsNow(message, stable) ? early : held).push(message);
    return early;
  }

  /**
   * Captures a snapshot when the policy (after applies) or a follower that lost its own (at any
   * time: `wantedOnly`) wants one now.
   */
  *#snapshotIfDue(wantedOnly = false): TurnIo<Result> {
    const tracker = this.tracker;
    if (!(wantedOnly ? tracker.wantedDue() : tracker.snapshotDue())) return;
    // Only the capture happens in the turn; the shell enqueues `snapshot` once it is stored.
    const index = this.#rules.snapshotIndex(tracker.appliedIndex);
    yield { type: "takeSnapshot", index };
    tracker.snapshotTaken(index);
  }

  /**
   * The last log index an apply may reach: what is on this node's disk or in the write in flight
   * (early-apply.ts), unless a notice still waits for a write: then only what is durable, so that
   * no outcome overtakes the acceptance of its proposal queued behind that notice.
   */
  #applicableIndex(): Index {
    const writes = this.#writes;
    return this.#held.noticeWaits(writes.durableCount)
      ? writes.stableIndex()
      : writes.writtenOrWritingIndex();
  }

  /** Applies (and restores) what is ready, in log order, until nothing more is. */
  *#applyReady(work: TurnWork<Result>): TurnIo<Result> {
    const tracker = this.tracker;
    const writes = this.#writes;
    for (;;) {
      const stable = this.#applicableIndex();
      const ready = this.#held.takeApplies(
        this.#rules.appliesReady,
        stable,
        writes.durableCount,
        writes.writing,
      );
      if (ready.length === 0) return;
      const appliedBefore = tracker.appliedIndex;
      for (const effect of fromLastRestore(ready)) {
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
        this.#step({ type: "applied", index: tracker.appliedIndex }, messages);
      }
      if (tracker.snapshotDue()) yield* this.#snapshotIfDue();
      if (messages.length > 0) yield { type: "send", messages };
      if (this.#snapshotIoReady) yield* this.#snapshotIo();
    }
  }
}

type ProposeEvent = Extract<Event, { type: "propose" }>;

/** The end (exclusive) of the run of proposals that starts at `start`. */
function proposalRunEnd(events: readonly Event[], start: number): number {
  let end = start + 1;
  while (end < events.length && events[end]!.type === "propose") end++;
  return end;
}

/** The proposals events[start..end) as one event. */
function proposalBatch(events: readonly Event[], start: number, end: number): Event {
  return { type: "proposeBatch", proposals: events.slice(start, end) as ProposeEvent[] };
}
