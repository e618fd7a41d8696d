// Pending linearizable reads (thesis §6.4) and the rule that serves each: the core says a read is
// `readReady` at an index once its node may answer it (a quorum confirmed the leader after the
// read arrived, or the lease held); it is served only once the state machine has applied up to
// that index, since the state before it may lack writes acknowledged before the read began (§6.4
// step 4). Promises, timeouts and exactly-once settling are the ProposalRegistry's; reads have no
// log position, so they are settled by id.
//
// Many reads share one core read (§6.4: "the leader can batch reads"). A read that arrives while
// the core read of its consistency still waits in the runtime's inbox joins it: when the core
// steps that event it records the read index and the AppendEntries seq its quorum round must
// follow, and every read in the batch arrived before that. A read may never join a core read the
// core already stepped: that read's round may have left before the read arrived, so a quorum
// answering it proves nothing about leadership at the read's start (a deposed leader would serve
// a write acknowledged elsewhere as missing). A lease read may not join one queued before a tick
// that is now in the inbox either: the core checks the lease when it steps the event, before
// that tick, so time that passed before the new read arrived would not count (§6.4.1). A turn
// that waits on a stalled apply (or a restore), or a paused process whose overdue tick goes
// first (tick-clock.ts), queues such ticks while another leader may commit.
// `RuntimeRules.readJoins` is that rule, so the simulator can plant its violations.
//
// A read arriving while the core read of its consistency is on the wire (stepped, not yet
// answered: a leader's quorum round, a follower's read index request to the leader) is held
// here, with every other read arriving meanwhile, and the held reads become one new core read
// when that one is answered. The core allows one round of its own in flight anyway (read-index.ts
// rule 2), so holding costs a leader's reads no round; it saves a core read per turn, and on a
// follower it turns one read index request (and answer) per turn into one per round trip to the
// leader. A new core read is always safe: it records its index after each of its reads arrived.
//
// Where the host has an I/O phase (`Scheduler.afterIo`), the held reads become that core read only
// once the I/O ready after the answer is handled, and reads arriving meanwhile are held with them
// rather than starting a core read (and a round) of their own: a busy leader handles the answer
// amid a burst of requests, and those requests share the next round instead of waiting for the
// one after it. Every round costs the leader a send and an answer to take in and wakes an idle
// follower, which is what a ReadIndex read costs above a lease read (docs/benchmarks.md, issue
// #13). The wait is one pass of the host's loop, which does not block while the release is queued.
import { ConfigError } from "../errors.js";
import type { Event, ReadConsistency } from "../event.js";
import type { Index } from "../ids.js";
import { ProposalRegistry } from "./proposals.js";
import { requestTimeoutMs } from "./request-checks.js";
import { type InboxMark, type RuntimeRules, shippedRules } from "./runtime-rules.js";
import type { Scheduler } from "./scheduler.js";
import type { ReadOptions } from "./types.js";

/** The core's `read` event. */
type ReadEvent = Extract<Event, { readonly type: "read" }>;

/** Where the registry queues the core reads of held reads: the node's runtime. */
export type ReadSink = {
  /** Where the runtime's inbox stands now (`NodeRuntime.inboxMark`). */
  readonly inboxMark: () => InboxMark;
  /** Queues a core read (a `read` event) and starts a turn for it. */
  readonly enqueue: (event: Event) => void;
};

/** A core read: the client reads it answers, and where the inbox stood when it was queued. */
type CoreRead = {
  readonly id: string;
  readonly consistency: ReadConsistency;
  readonly queuedAt: InboxMark;
  readonly members: string[];
};

/** A `read()` call's options, checked, with the node's defaults filled in; or why they are wrong. */
export function checkReadOptions(
  options: ReadOptions,
  leaseReads: boolean,
  defaultTimeoutMs: number | undefined,
): { consistency: ReadConsistency; timeoutMs: number | undefined } | ConfigError {
  const consistency = options.consistency ?? "readIndex";
  if (consistency !== "readIndex" && consistency !== "lease") {
    return new ConfigError("consistency", `must be "readIndex" or "lease"`);
  }
  if (consistency === "lease" && !leaseReads) {
    return new ConfigError("consistency", "lease reads need the node option leaseReads: true");
  }
  const timeout = requestTimeoutMs(options.timeoutMs, defaultTimeoutMs);
  if (timeout instanceof ConfigError) return timeout;
  return { consistency, timeoutMs: timeout.timeoutMs };
}

/** Pending linearizable reads: each served once applied reaches its read index, or rejected. */
export class ReadRegistry {
  readonly #pending: ProposalRegistry<void>;
  readonly #rules: RuntimeRules;
  readonly #scheduler: Scheduler;
  readonly #sink: ReadSink;
  /** Core reads not yet answered by the core, by the id of their `read` event. */
  readonly #coreReads = new Map<string, CoreRead>();
  /** The core read of each consistency queued last: a new read may join it (`readJoins`). */
  readonly #latest = new Map<ReadConsistency, CoreRead>();
  /** Reads held while the core read of their consistency is on the wire, by consistency. */
  readonly #held = new Map<ReadConsistency, string[]>();
  /** Consistencies whose held reads are released after the I/O ready now (see the top). */
  readonly #releasing = new Set<ReadConsistency>();
  /** Reads the core declared ready, waiting for the state machine to apply up to their index. */
  #waiting: { readonly members: readonly string[]; readonly index: number }[] = [];
  #nextCoreId = 0;

  constructor(scheduler: Scheduler, sink: ReadSink, rules: RuntimeRules = shippedRules) {
    this.#pending = new ProposalRegistry<void>(scheduler);
    this.#rules = rules;
    this.#scheduler = scheduler;
    this.#sink = sink;
  }

  /** Reads not yet settled. */
  get size(): number {
    return this.#pending.size;
  }

  /**
   * Registers a read; its promise settles exactly once (served, rejected or timed out). `inbox` is
   * the runtime's inbox mark now (after any catch-up tick the read queued first). `event` is the
   * core read to enqueue, or null when the read joined one still waiting in the inbox or is held
   * until the one on the wire is answered.
   */
  create(
    timeoutMs: number | undefined,
    consistency: ReadConsistency,
    inbox: InboxMark,
  ): { promise: Promise<void>; event: ReadEvent | null } {
    const { id, promise } = this.#pending.create(timeoutMs);
    const members = this.#joinOrHold(consistency, inbox, [id]);
    return {
      promise,
      event: members === null ? null : this.#coreRead(consistency, inbox, members),
    };
  }

  /** The core declared read `id` safe once applied reaches `index`; `applied` is where it is. */
  ready(id: string, index: Index, applied: Index): void {
    const members = this.#take(id);
    if (members === undefined) return;
    if (index <= applied) this.#resolve(members);
    else this.#waiting.push({ members, index });
  }

  /** The state machine applied up to `applied`: serve the reads waiting for it. */
  applied(applied: Index): void {
    if (this.#waiting.length === 0) return;
    const still: { readonly members: readonly string[]; readonly index: number }[] = [];
    for (const read of this.#waiting) {
      if (read.index <= applied) this.#resolve(read.members);
      else still.push(read);
    }
    this.#waiting = still;
  }

  /** Rejects the reads of core read `id` that are still pending with `error`. */
  reject(id: string, error: Error): void {
    const members = this.#take(id);
    if (members !== undefined) for (const member of members) this.#pending.reject(member, error);
  }

  /** Whether reads the core declared ready wait for their apply. */
  get waiting(): boolean {
    return this.#waiting.length > 0;
  }

  /** Rejects the reads the core declared ready that still wait for their apply. */
  rejectWaiting(error: Error): void {
    const waiting = this.#waiting;
    this.#waiting = [];
    for (const read of waiting)
      for (const member of read.members) this.#pending.reject(member, error);
  }

  /** Rejects every pending read, each with its own error from `makeError`. */
  rejectAll(makeError: () => Error): void {
    this.#waiting = [];
    this.#coreReads.clear();
    this.#latest.clear();
    this.#held.clear();
    this.#releasing.clear();
    this.#pending.rejectAll(makeError);
  }

  /**
   * Adds `reads` to the latest core read of `consistency` if they may join it (`readJoins`), or
   * holds them while it is on the wire (a turn took it). Null when done; else the reads that need
   * a core read of their own (none pending, or one in the inbox they may not join).
   */
  #joinOrHold(consistency: ReadConsistency, inbox: InboxMark, reads: string[]): string[] | null {
    const latest = this.#latest.get(consistency);
    if (latest === undefined || this.#coreReads.get(latest.id) !== latest) {
      if (!this.#releasing.has(consistency)) return reads;
      this.#hold(consistency, reads);
      return null;
    }
    if (this.#rules.readJoins(consistency, latest.queuedAt, inbox)) {
      latest.members.push(...reads);
      return null;
    }
    if (latest.queuedAt.generation === inbox.generation) return reads;
    this.#hold(consistency, reads);
    return null;
  }

  #hold(consistency: ReadConsistency, reads: string[]): void {
    const held = this.#held.get(consistency);
    if (held === undefined) this.#held.set(consistency, reads);
    else held.push(...reads);
  }

  #coreRead(consistency: ReadConsistency, inbox: InboxMark, members: string[]): ReadEvent {
    this.#nextCoreId += 1;
    const coreRead = { id: `r${this.#nextCoreId}`, consistency, queuedAt: inbox, members };
    this.#coreReads.set(coreRead.id, coreRead);
    this.#latest.set(consistency, coreRead);
    return { type: "read", id: coreRead.id, consistency };
  }

  #take(id: string): readonly string[] | undefined {
    const coreRead = this.#coreReads.get(id);
    if (coreRead === undefined) return undefined;
    this.#coreReads.delete(id);
    if (this.#latest.get(coreRead.consistency) === coreRead) {
      this.#latest.delete(coreRead.consistency);
      // Answered: the reads held for it go out, after the turn that answered it, and where the
      // host has an I/O phase after the I/O ready now, with the reads arriving meanwhile.
      const consistency = coreRead.consistency;
      if (this.#held.has(consistency) && !this.#releasing.has(consistency)) {
        const scheduler = this.#scheduler;
        if (scheduler.afterIo === undefined) {
          scheduler.queueMicrotask(() => this.#release(consistency));
        } else {
          this.#releasing.add(consistency);
          scheduler.afterIo(() => {
            this.#releasing.delete(consistency);
            this.#release(consistency);
          });
        }
      }
    }
    return coreRead.members;
  }

  /**
   * The held reads of `consistency` become one core read, or join (or wait for) one a read
   * arriving since the answer queued.
   */
  #release(consistency: ReadConsistency): void {
    const held = this.#held.get(consistency);
    if (held === undefined) return;
    this.#held.delete(consistency);
    const inbox = this.#sink.inboxMark();
    const members = this.#joinOrHold(consistency, inbox, held);
    if (members !== null) this.#sink.enqueue(this.#coreRead(consistency, inbox, members));
  }

  #resolve(members: readonly string[]): void {
    for (const member of members) this.#pending.resolve(member, undefined);
  }
}
