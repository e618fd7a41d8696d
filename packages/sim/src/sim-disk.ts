import type { Entry, HardState, PersistBatch, Persisted, Snapshot } from "@flotilla/core";
import { entryHash, LogMirror } from "./log-mirror.js";

// One node's simulated disk. A persist effect becomes a write that is durable only after a
// simulated latency; writes complete in the order issued (a log device writes sequentially).
// A crash loses every write not yet durable, except that the write in progress may be torn: a
// prefix of it reaches the platter (its snapshot and truncation, then some of its entries, never
// the hard state, which storage writes last), as `Storage.persist` allows ("unchanged or with a
// prefix of the batch applied"). Restart reads back exactly what was durable.

export type PendingWrite = {
  readonly effect: PersistBatch;
  readonly durableAtMs: number;
};

export class SimDisk {
  #hardState: HardState;
  #snapshot: Snapshot | null = null;
  /** The durable entries after the snapshot, contiguous; a plain array grown by push. */
  readonly #entries: Entry[] = [];
  /** The durable log as the checkers see logs: rebuilt into a node's view on restart. */
  readonly mirror = new LogMirror();
  readonly #pending: PendingWrite[] = [];
  #pendingHead = 0;
  /** Bumped by every crash, so completions scheduled before it are recognised as stale. */
  generation = 0;

  constructor(initial: HardState) {
    this.#hardState = initial;
  }

  get pendingWrites(): number {
    return this.#pending.length - this.#pendingHead;
  }

  /** How many entries the write in progress carries, or null if nothing is being written. */
  get inProgressEntries(): number | null {
    return this.#pending[this.#pendingHead]?.effect.entries.length ?? null;
  }

  get hardState(): HardState {
    return this.#hardState;
  }

  /** (index, term) of the last durable entry, or of the snapshot when the log is empty. */
  lastDurable(): { readonly index: number; readonly term: number } {
    return { index: this.mirror.lastIndex, term: this.mirror.lastTerm };
  }

  /** Queues a write; returns when it becomes durable (never before an earlier write). */
  write(effect: PersistBatch, nowMs: number, latencyMs: number): number {
    const pending = this.#pending;
    const previous = pending.length > 0 ? pending[pending.length - 1] : undefined;
    const earliest =
      this.pendingWrites > 0 && previous !== undefined ? previous.durableAtMs : nowMs;
    const durableAtMs = Math.max(earliest, nowMs + latencyMs);
    this.#pending.push({ effect, durableAtMs });
    return durableAtMs;
  }

  /** Makes the oldest pending write durable and returns it (its `then` may now be sent). */
  completeNext(): PendingWrite {
    const write = this.#pending[this.#pendingHead];
    if (write === undefined) throw new RangeError("no pending write to complete");
    this.#pending[this.#pendingHead] = undefined as unknown as PendingWrite;
    this.#pendingHead++;
    if (this.#pendingHead === this.#pending.length) {
      this.#pending.length = 0;
      this.#pendingHead = 0;
    }
    this.#apply(write.effect, write.effect.entries.length, true);
    return write;
  }

  /**
   * The power fails: pending writes are lost, except that the oldest (the one in progress) keeps
   * `tornEntries` of its entries (with its snapshot and truncation) when `tornEntries` is given.
   */
  crash(tornEntries: number | undefined): void {
    const inProgress = this.#pending[this.#pendingHead];
    if (inProgress !== undefined && tornEntries !== undefined) {
      this.#apply(
        inProgress.effect,
        Math.min(tornEntries, inProgress.effect.entries.length),
        false,
      );
    }
    this.#pending.length = 0;
    this.#pendingHead = 0;
    this.generation++;
  }

  /** A new disk holding what this one holds durably (nothing pending): a backup. */
  durableCopy(): SimDisk {
    const copy = new SimDisk(this.#hardState);
    copy.#snapshot = this.#snapshot;
    copy.#entries.push(...this.#entries);
    copy.mirror.copyFrom(this.mirror);
    return copy;
  }

  /** What `Storage.load` would return. Copies: the reducer must never share our arrays. */
  load(): Persisted {
    return { hardState: this.#hardState, snapshot: this.#snapshot, entries: this.#entries.slice() };
  }

  get snapshot(): Snapshot | null {
    return this.#snapshot;
  }

  #apply(effect: PersistBatch, entryCount: number, withHardState: boolean): void {
    if (effect.snapshot !== undefined) this.#installSnapshot(effect.snapshot);
    const base = this.mirror.baseIndex;
    if (effect.truncateFrom !== undefined && effect.truncateFrom <= this.mirror.lastIndex) {
      const keep = Math.max(0, effect.truncateFrom - base - 1);
      this.#entries.length = keep;
      this.mirror.truncateFrom(effect.truncateFrom);
    }
    for (let i = 0; i < entryCount; i++) {
      const entry = effect.entries[i] as Entry;
      // Storage writes what it is given; a reducer that hands over a gap is caught by the
      // checkers (malformedEffect), and the disk keeps only the contiguous part.
      if (entry.index !== this.mirror.lastIndex + 1) continue;
      this.#entries.push(entry);
      this.mirror.append(entry.term, entryHash(entry));
    }
    if (withHardState && effect.hardState !== undefined) this.#hardState = effect.hardState;
  }

  #installSnapshot(snapshot: Snapshot): void {
    const keepFrom = snapshot.index - this.mirror.baseIndex;
    if (this.mirror.termAt(snapshot.index) === snapshot.term && keepFrom >= 0) {
      this.#entries.splice(0, keepFrom);
    } else {
      this.#entries.length = 0;
    }
    this.mirror.compact(snapshot.index, snapshot.term);
    this.#snapshot = snapshot;
  }
}
