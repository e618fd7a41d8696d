// Storage held in memory, for tests and the simulator. It applies exactly the rules of the durable
// storage (see storage-check.ts) and copies everything in and out, so a caller that later mutates
// an entry's bytes, or the arrays it got from `load`, cannot change what is stored.

import type { Entry, HardState, Membership, Persisted, Snapshot } from "./entry.js";
import type { Index, Term } from "./ids.js";
import type { PersistBatch, Storage } from "./interfaces.js";
import { checkPersistBatch, type StorageTip } from "./storage-check.js";
import { StorageClosedError } from "./storage-errors.js";

const emptyHardState: HardState = { term: 0 as Term, vote: null, commit: 0 as Index };

export class MemoryStorage implements Storage {
  #hardState: HardState = emptyHardState;
  #snapshot: Snapshot | null = null;
  /** The log after the snapshot: `#entries[i]` has index `snapshotIndex + 1 + i`. */
  #entries: Entry[] = [];
  #closed = false;

  /** Starts empty, or from `initial` (e.g. what another storage's `load` returned). */
  constructor(initial?: Persisted) {
    if (initial === undefined) return;
    checkPersistBatch(this.#tip(), {
      hardState: initial.hardState,
      ...(initial.snapshot === null ? {} : { snapshot: initial.snapshot }),
      entries: initial.entries,
    });
    this.#hardState = { ...initial.hardState };
    this.#snapshot = initial.snapshot === null ? null : copySnapshot(initial.snapshot);
    this.#entries = initial.entries.map(copyEntry);
  }

  /** Everything persisted so far (copies: later batches do not change what it returned). */
  async load(): Promise<Persisted> {
    if (this.#closed) throw new StorageClosedError();
    return {
      hardState: { ...this.#hardState },
      snapshot: this.#snapshot === null ? null : copySnapshot(this.#snapshot),
      entries: this.#entries.map(copyEntry),
    };
  }

  /** Applies `batch` at once, or refuses it whole with `InvalidPersistError`. */
  async persist(batch: PersistBatch): Promise<void> {
    if (this.#closed) throw new StorageClosedError();
    checkPersistBatch(this.#tip(), batch);
    if (batch.snapshot !== undefined) {
      const dropped = batch.snapshot.index - this.#snapshotIndex();
      this.#entries = this.#entries.slice(Math.min(dropped, this.#entries.length));
      this.#snapshot = copySnapshot(batch.snapshot);
    }
    if (batch.truncateFrom !== undefined) {
      const kept = batch.truncateFrom - 1 - this.#snapshotIndex();
      if (kept < this.#entries.length) this.#entries.length = kept;
    }
    for (const entry of batch.entries) this.#entries.push(copyEntry(entry));
    if (batch.hardState !== undefined) this.#hardState = { ...batch.hardState };
  }

  /** Refuses every later call with `StorageClosedError`. */
  async close(): Promise<void> {
    this.#closed = true;
  }

  #snapshotIndex(): number {
    return this.#snapshot?.index ?? 0;
  }

  #tip(): StorageTip {
    const snapshotIndex = this.#snapshotIndex();
    return {
      snapshotIndex: snapshotIndex as Index,
      snapshotTerm: this.#snapshot?.term ?? (0 as Term),
      lastIndex: (snapshotIndex + this.#entries.length) as Index,
      hardStateTerm: this.#hardState.term,
      termAt: (index) => this.#entries[index - snapshotIndex - 1]?.term ?? (0 as Term),
    };
  }
}

function copyEntry(entry: Entry): Entry {
  switch (entry.kind) {
    case "command":
      return { kind: "command", index: entry.index, term: entry.term, data: entry.data.slice() };
    case "noop":
      return { kind: "noop", index: entry.index, term: entry.term };
    case "membership":
      return {
        kind: "membership",
        index: entry.index,
        term: entry.term,
        membership: copyMembership(entry.membership),
      };
    default: {
      const never: never = entry;
      return never;
    }
  }
}

function copySnapshot(snapshot: Snapshot): Snapshot {
  return {
    index: snapshot.index,
    term: snapshot.term,
    membership: copyMembership(snapshot.membership),
    data: snapshot.data.slice(),
  };
}

function copyMembership(membership: Membership): Membership {
  return {
    voters: [...membership.voters],
    learners: [...membership.learners],
    ...(membership.outgoing === undefined ? {} : { outgoing: [...membership.outgoing] }),
  };
}
