// The latency bench's storage: MemoryStorage's rules without its copies on the JS heap. A node's
// FileStorage keeps only the terms of its entries on the heap (the bytes are in files);
// MemoryStorage keeps a copy of every entry as objects (~290 bytes a node for a 64-byte command),
// which survive, so every scavenge copies them to the old generation: in a bench that runs three
// nodes, half of all the bytes its collector copies, which no deployment's heap holds. Here each
// entry is kept encoded (the core's codec) in off-heap chunks, beside its term, as a disk would
// hold it; `load` decodes them. The batches are checked by the same rules (checkPersistBatch), and
// snapshots are held as MemoryStorage holds them (MemorySnapshots).
import {
  checkPersistBatch,
  decodeEntry,
  type Entry,
  encodeEntry,
  type HardState,
  type Index,
  type PersistBatch,
  type Persisted,
  type Snapshot,
  type SnapshotStream,
  type Storage,
  StorageClosedError,
  type StorageTip,
  type StoredSnapshot,
  type Term,
} from "@flotilla/core";
import { MemorySnapshots } from "@flotilla/core/testing";

/** Bytes of a chunk of the log; an entry larger than this gets a chunk of its own size. */
const chunkBytes = 1 << 20;

const emptyHardState: HardState = { term: 0 as Term, vote: null, commit: 0 as Index };

/**
 * A Storage holding its log encoded in off-heap chunks, with only numbers per entry on the heap
 * (FileStorage's heap without its files): MemoryStorage's rules, for benchmarks.
 */
export class OffHeapStorage implements Storage {
  #hardState: HardState = emptyHardState;
  #snapshot: Snapshot | null = null;
  /**
   * Entry `snapshotIndex + 1 + i`: its term, and its `#length[i]` bytes in `#chunks[#chunkOf[i]]`
   * at `#offset[i]`; arrays of numbers, not an object per entry.
   */
  #terms: number[] = [];
  #chunkOf: number[] = [];
  #offset: number[] = [];
  #length: number[] = [];
  /** Off-heap chunks; those no live entry uses any more are dropped (undefined). */
  #chunks: (Uint8Array | undefined)[] = [];
  /** Bytes used in the last chunk. */
  #used = 0;
  readonly #snapshots = new MemorySnapshots();
  #closed = false;

  async load(): Promise<Persisted> {
    if (this.#closed) throw new StorageClosedError();
    const entries: Entry[] = [];
    for (let i = 0; i < this.#terms.length; i++) entries.push(this.#entryAt(i));
    return {
      hardState: { ...this.#hardState },
      snapshot: this.#snapshot === null ? null : copySnapshot(this.#snapshot),
      entries,
    };
  }

  /** Applies `batch` at once, or refuses it whole with `InvalidPersistError` (as MemoryStorage). */
  async persist(batch: PersistBatch): Promise<void> {
    if (this.#closed) throw new StorageClosedError();
    checkPersistBatch(this.#tip(), batch);
    if (batch.snapshot !== undefined) {
      this.#snapshots.check(batch.snapshot);
      this.#snapshots.adopt(batch.snapshot);
      this.#snapshots.dropBelow(batch.snapshot.index);
      this.#dropFirst(Math.min(batch.snapshot.index - this.#snapshotIndex(), this.#terms.length));
      this.#snapshot = copySnapshot(batch.snapshot);
    }
    if (batch.truncateFrom !== undefined) {
      const kept = batch.truncateFrom - 1 - this.#snapshotIndex();
      if (kept < this.#terms.length) this.#keep(kept);
    }
    for (const entry of batch.entries) this.#append(entry);
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

  async close(): Promise<void> {
    this.#closed = true;
  }

  #append(entry: Entry): void {
    const bytes = encodeEntry(entry);
    let chunk = this.#chunks.at(-1);
    if (chunk === undefined || this.#used + bytes.byteLength > chunk.byteLength) {
      chunk = new Uint8Array(Math.max(chunkBytes, bytes.byteLength));
      this.#chunks.push(chunk);
      this.#used = 0;
    }
    chunk.set(bytes, this.#used);
    this.#terms.push(entry.term);
    this.#chunkOf.push(this.#chunks.length - 1);
    this.#offset.push(this.#used);
    this.#length.push(bytes.byteLength);
    this.#used += bytes.byteLength;
  }

  /** A copy of entry `snapshotIndex + 1 + i`, decoded from its own bytes. */
  #entryAt(i: number): Entry {
    const chunk = this.#chunks[this.#chunkOf[i]!]!;
    const offset = this.#offset[i]!;
    return decodeEntry(chunk.slice(offset, offset + this.#length[i]!));
  }

  /** Keeps the first `count` entries (a truncation); their bytes stay where they are. */
  #keep(count: number): void {
    for (const list of [this.#terms, this.#chunkOf, this.#offset, this.#length])
      list.length = count;
  }

  /** Drops the first `count` entries (a snapshot covers them), and the chunks only they used. */
  #dropFirst(count: number): void {
    this.#terms = this.#terms.slice(count);
    this.#chunkOf = this.#chunkOf.slice(count);
    this.#offset = this.#offset.slice(count);
    this.#length = this.#length.slice(count);
    const firstUsed = this.#chunkOf[0] ?? this.#chunks.length - 1;
    for (let c = 0; c < firstUsed; c++) this.#chunks[c] = undefined;
  }

  #snapshotIndex(): number {
    return this.#snapshot?.index ?? 0;
  }

  #tip(): StorageTip {
    const snapshotIndex = this.#snapshotIndex();
    return {
      snapshotIndex: snapshotIndex as Index,
      snapshotTerm: this.#snapshot?.term ?? (0 as Term),
      lastIndex: (snapshotIndex + this.#terms.length) as Index,
      hardStateTerm: this.#hardState.term,
      termAt: (index) => (this.#terms[index - snapshotIndex - 1] ?? 0) as Term,
    };
  }
}

function copySnapshot(snapshot: Snapshot): Snapshot {
  return structuredClone(snapshot);
}
