// Storage held in memory, for tests and the simulator. It applies exactly the rules of the durable
// storage (see storage-check.ts, memory-snapshots.ts) and copies everything in and out, so a caller
// that later mutates an entry's bytes, or the arrays it got from `load`, cannot change what is
// stored.

import type { Entry, HardState, Membership, Persisted, Snapshot } from "./entry.js";
import type { Index, Term } from "./ids.js";
import type { PersistBatch, SnapshotStream, Storage, StoredSnapshot } from "./interfaces.js";
import { normalMembership } from "./membership.js";
import { MemorySnapshots } from "./memory-snapshots.js";
import { checkPersistBatch, type StorageTip } from "./storage-check.js";
import { StorageClosedError } from "./storage-errors.js";

const emptyHardState: HardState = { term: 0 as Term, vote: null, commit: 0 as Index };

export class MemoryStorage implements Storage {
  #hardState: HardState = emptyHardState;
  #snapshot: Snapshot | null = null;
  /** The log after the snapshot: `#entries[i]` has index `snapshotIndex + 1 + i`. */
  #entries: Entry[] = [];
  readonly #snapshots = new MemorySnapshots();
  #closed = false;

  /**
   * Starts empty, or from `initial` (e.g. what another storage's `load` returned) and the bytes of
   * its snapshot. Without them (a model of another storage's log, in tests) the snapshot is in
   * force by its metadata alone, and reading its bytes fails.
   */
  constructor(initial?: Persisted, snapshotData?: Uint8Array) {
    if (initial === undefined) return;
    if (initial.snapshot !== null && snapshotData !== undefined) {
      this.#snapshots.storeWhole(initial.snapshot.index, snapshotData);
      this.#snapshots.check(initial.snapshot);
    }
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
    if (batch.snapshot !== undefined) this.#snapshots.check(batch.snapshot);
    if (batch.snapshot !== undefined) {
      this.#snapshots.adopt(batch.snapshot);
      this.#snapshots.dropBelow(batch.snapshot.index);
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

  async writeSnapshot(index: Index, data: SnapshotStream): Promise<StoredSnapshot> {
    if (this.#closed) throw new StorageClosedError();
    return this.#snapshots.write(index, data);
  }

  async writeSnapshotChunk(snapshot: Snapshot, offset: number, data: Uint8Array): Promise<void> {
    if (this.#closed) throw new StorageClosedError();
    this.#snapshots.writeChunk(snapshot, offset, data);
  }

  async readSnapshotChunk(
    snapshot: Snapshot,
    offset: number,
    length: number,
  ): Promise<Uint8Array | null> {
    if (this.#closed) throw new StorageClosedError();
    return this.#snapshots.readChunk(snapshot, offset, length);
  }

  readSnapshot(snapshot: Snapshot): SnapshotStream {
    if (this.#closed) throw new StorageClosedError();
    return this.#snapshots.read(snapshot);
  }

  /** The bytes of the snapshot in force (a copy), or null: to carry them into another storage. */
  snapshotData(): Uint8Array | null {
    const snapshot = this.#snapshot;
    return snapshot === null ? null : (this.#snapshots.bytesOf(snapshot)?.slice() ?? null);
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
    size: snapshot.size,
    checksum: snapshot.checksum,
  };
}

function copyMembership(membership: Membership): Membership {
  // Every field, explicitLeave too: without it a joint configuration meant to be left only on
  // request would be left automatically after a restart (storage conformance checks it).
  return normalMembership(membership);
}
