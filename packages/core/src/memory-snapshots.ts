// Snapshot bytes held in memory, with the rules every Storage applies to them: MemoryStorage's,
// and the simulator's bare disk. A snapshot is stored (taken here, or received whole in chunks)
// before a persist may put it in force; older ones are dropped once a newer one is in force; what
// is read back is a copy.

import { crc32 } from "./crc32.js";
import type { Snapshot } from "./entry.js";
import type { Index } from "./ids.js";
import type { SnapshotStream, StoredSnapshot } from "./interfaces.js";
import { InvalidPersistError } from "./storage-errors.js";

/** Slices `read` streams: small enough to interleave with other work. */
const sliceBytes = 1024 * 1024;

type Stored = { readonly bytes: Uint8Array; readonly checksum: number };

/** A snapshot being received: its chunks so far, in order. */
type Incoming = {
  readonly index: number;
  readonly parts: Uint8Array[];
  size: number;
  checksum: number;
};

// Stored snapshots are known by index: two at one index cover the same committed entries, so
// either will do (State Machine Safety), and the one put in force wins.

/**
 * Snapshot bytes in memory under the Storage rules (see `Storage.writeSnapshot` and the methods
 * after it): for MemoryStorage, and for storages and harnesses built in tests.
 */
export class MemorySnapshots {
  /** Every snapshot whose bytes are held, by index. */
  readonly #stored = new Map<number, Stored>();
  #incoming: Incoming | null = null;

  /** Stores a whole snapshot taken here (copying it); not in force until a persist says so. */
  async write(index: Index, data: SnapshotStream): Promise<StoredSnapshot> {
    const parts: Uint8Array[] = [];
    let checksum = 0;
    let size = 0;
    for await (const slice of data) {
      parts.push(slice.slice());
      checksum = crc32(slice, checksum);
      size += slice.byteLength;
    }
    this.#stored.set(index, { bytes: join(parts, size), checksum });
    return { size, checksum };
  }

  /** Stores the whole bytes of a snapshot at `index` at once (copying them). */
  storeWhole(index: number, data: Uint8Array): StoredSnapshot {
    const stored = { bytes: data.slice(), checksum: crc32(data) };
    this.#stored.set(index, stored);
    return { size: data.byteLength, checksum: stored.checksum };
  }

  /** Stores one chunk of a snapshot being received (see `Storage.writeSnapshotChunk`). */
  writeChunk(snapshot: Snapshot, offset: number, data: Uint8Array): void {
    if (offset === 0) this.#incoming = { index: snapshot.index, parts: [], size: 0, checksum: 0 };
    const incoming = this.#incoming;
    if (incoming === null || incoming.index !== snapshot.index || incoming.size !== offset) {
      throw new InvalidPersistError(
        `snapshot chunk of ${snapshot.index} at offset ${offset} does not continue the one being received`,
      );
    }
    incoming.parts.push(data.slice());
    incoming.size += data.byteLength;
    incoming.checksum = crc32(data, incoming.checksum);
  }

  /** Refuses (InvalidPersistError) a snapshot whose bytes are not held whole. */
  check(snapshot: Snapshot): void {
    const stored = this.#stored.get(snapshot.index);
    if (stored !== undefined && matches(snapshot, stored.bytes.byteLength, stored.checksum)) return;
    const incoming = this.#incoming;
    if (incoming?.index === snapshot.index && matches(snapshot, incoming.size, incoming.checksum)) {
      return;
    }
    throw new InvalidPersistError(
      `no stored bytes for snapshot ${snapshot.index} of ${snapshot.size} bytes with CRC-32 ${snapshot.checksum}`,
    );
  }

  /** A received snapshot (after `check`) joins the stored ones, as its file would be renamed. */
  adopt(snapshot: Snapshot): void {
    const incoming = this.#incoming;
    if (incoming?.index === snapshot.index && matches(snapshot, incoming.size, incoming.checksum)) {
      this.#stored.set(snapshot.index, {
        bytes: join(incoming.parts, incoming.size),
        checksum: incoming.checksum,
      });
      this.#incoming = null;
    }
  }

  /** Forgets every snapshot older than `index` (one at `index` is in force now). */
  dropBelow(index: number): void {
    for (const stored of [...this.#stored.keys()]) if (stored < index) this.#stored.delete(stored);
  }

  /**
   * After a crash: keeps only the bytes of the snapshot in force, if any; one being received is
   * lost, and a stored one never put in force is dropped, as opening a FileStorage does.
   */
  keepOnly(inForce: Snapshot | null): void {
    this.#incoming = null;
    for (const index of [...this.#stored.keys()]) {
      if (index !== inForce?.index) this.#stored.delete(index);
    }
  }

  /** A copy of `length` bytes at `offset`, or null if that snapshot is no longer held. */
  readChunk(snapshot: Snapshot, offset: number, length: number): Uint8Array | null {
    return this.bytesOf(snapshot)?.slice(offset, offset + length) ?? null;
  }

  /** The bytes of a held snapshot, as a stream of copies. */
  async *read(snapshot: Snapshot): SnapshotStream {
    const stored = this.bytesOf(snapshot);
    if (stored === null) {
      throw new InvalidPersistError(`snapshot ${snapshot.index} is not stored`);
    }
    if (stored.byteLength === 0) yield new Uint8Array(0);
    for (let offset = 0; offset < stored.byteLength; offset += sliceBytes) {
      yield stored.slice(offset, offset + sliceBytes);
    }
  }

  /** The bytes held for `snapshot` (not a copy), or null if they are not held. */
  bytesOf(snapshot: Snapshot): Uint8Array | null {
    const stored = this.#stored.get(snapshot.index);
    if (stored === undefined || !matches(snapshot, stored.bytes.byteLength, stored.checksum)) {
      return null;
    }
    return stored.bytes;
  }
}

function matches(snapshot: Snapshot, size: number, checksum: number): boolean {
  return snapshot.size === size && snapshot.checksum === checksum;
}

function join(parts: readonly Uint8Array[], size: number): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const all = new Uint8Array(size);
  let offset = 0;
  for (const part of parts) {
    all.set(part, offset);
    offset += part.byteLength;
  }
  return all;
}
