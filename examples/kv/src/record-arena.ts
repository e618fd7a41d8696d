// Where the key-value store keeps its records: outside the JS heap, in slabs (ArrayBuffers of a
// few MiB, whose bytes V8 neither marks nor moves), addressed by plain numbers.
//
// Why (issue 11, docs/benchmarks.md "bench growth"): a store holding its values as JS strings
// grows the old generation with the state, and each string is copied by the scavenger on its way
// there; at 200 MB of 1 KiB values the servers' longest event-loop stalls were such collections
// (37-75 ms idle, up to 760 ms under load). Here the heap holds the B+ tree of keys and numbers
// only, so collections stay the size of the keys.
//
// Each record is kept framed as in a snapshot (kv-model: 4-byte big-endian length, then the
// `put` command), so a snapshot is the records copied out in key order, and a restore copies
// records in without decoding their values. A record is written once and never changed: a
// capture (`frozen`) keeps the slab table of its moment and reads its records from there while
// the store goes on writing. Overwritten records leave holes; a slab at least half holes is
// compacted a few records per write (its live records copied to the slab being filled, then
// the slab dropped), so the slabs hold at most about twice the live bytes.

import { kvSnapshotRecordHeaderBytes, writeKvSnapshotRecordHeader } from "@flotilla/kv-model";

/** A record's address: slab index × `slabSpan` + offset in the slab. */
export type RecordHandle = number;

/** The slab table at some moment: enough to read every record written before it. */
export type FrozenSlabs = readonly (Uint8Array | null)[];

/** Handles stay small integers (V8's Smis, no heap object) up to 512 slabs of 4 MiB. */
const slabSpan = 4 * 1024 * 1024;
/** Compaction work per write: this many times the bytes the write released. */
const compactionPace = 4;

export class RecordArena {
  readonly #slabBytes: number;
  /** Asked, for each record of a slab being compacted, whether it is still live. */
  readonly #isLive: (record: Uint8Array, handle: RecordHandle) => boolean;
  /** Told the new handle of each live record moved by compaction. */
  readonly #moved: (record: Uint8Array, handle: RecordHandle) => void;
  #slabs: (Uint8Array | null)[] = [];
  /** Per slab: where its first record starts (0 but in adopted ones) and its last one ends. */
  #starts: number[] = [];
  #ends: number[] = [];
  /** Per slab: the bytes of its records that nobody holds any more. */
  #dead: number[] = [];
  #freeSlabs: number[] = [];
  /** The slab records are appended to (-1: none yet). */
  #current = -1;
  /** Slabs at least half dead, waiting for compaction, and the one under way with its offset. */
  #toCompact: number[] = [];
  #compacting: { slab: number; offset: number } | null = null;
  #inCompaction = false;
  /** Bytes of all records, live or dead, in the slabs still held. */
  #heldBytes = 0;

  constructor(options: {
    readonly slabBytes?: number;
    readonly isLive: (record: Uint8Array, handle: RecordHandle) => boolean;
    readonly moved: (record: Uint8Array, handle: RecordHandle) => void;
  }) {
    this.#slabBytes = Math.min(options.slabBytes ?? slabSpan, slabSpan);
    this.#isLive = options.isLive;
    this.#moved = options.moved;
  }

  /** The bytes the slabs hold (records and holes, not the unused tail of the current slab). */
  get heldBytes(): number {
    return this.#heldBytes;
  }

  /** How many slabs are held. */
  get slabCount(): number {
    return this.#slabs.length - this.#freeSlabs.length;
  }

  /** Copies `record` (a `put` command's bytes) in, framed; returns its handle. */
  append(record: Uint8Array): RecordHandle {
    const framed = kvSnapshotRecordHeaderBytes + record.length;
    const slab = this.#slabFor(framed);
    const target = this.#slabs[slab] as Uint8Array;
    const offset = this.#ends[slab] as number;
    writeKvSnapshotRecordHeader(record.length, target, offset);
    target.set(record, offset + kvSnapshotRecordHeaderBytes);
    this.#ends[slab] = offset + framed;
    this.#heldBytes += framed;
    return slab * slabSpan + offset;
  }

  /**
   * Takes `chunk` as a slab as it is, not copied, holding framed records from `start` to `end`:
   * a restore's slices are already in memory, and copying each record out of them again cost as
   * much CPU as the rest of the restore (docs/benchmarks.md). The record framed at offset `o` of
   * `chunk` then has the handle `base + o`, for the returned `base`; null if `chunk` is too large
   * to address (the caller copies its records instead). Its owner must never change it.
   *
   * Unlike the slabs appended to, such a slab is memory V8 counts (see `newSlab`), so a restore
   * runs full collections as it goes. Copied into uncounted memory instead, the slices read were
   * left as garbage V8 was in no hurry to collect: the restarted follower of a 60 MB bench growth
   * peaked 100 MB higher (docs/benchmarks.md).
   */
  adopt(chunk: Uint8Array, start: number, end: number): RecordHandle | null {
    if (chunk.length > slabSpan) return null;
    const slab = this.#freeSlabs.pop() ?? this.#slabs.length;
    this.#slabs[slab] = chunk;
    this.#starts[slab] = start;
    this.#ends[slab] = end;
    this.#dead[slab] = 0;
    this.#heldBytes += end - start;
    return slab * slabSpan;
  }

  /** The record at `handle` (a view of its slab: the `put` command's bytes). */
  record(handle: RecordHandle): Uint8Array {
    return recordIn(this.#slabs, handle);
  }

  /** The record at `handle` is no longer held by the live state; may compact a few records. */
  release(handle: RecordHandle): void {
    const slab = Math.floor(handle / slabSpan);
    const framed = kvSnapshotRecordHeaderBytes + this.record(handle).length;
    const dead = (this.#dead[slab] as number) + framed;
    this.#dead[slab] = dead;
    if (slab !== this.#current && dead * 2 >= this.#recordBytes(slab)) this.#queue(slab);
    this.#compactSome(framed * compactionPace);
  }

  /** The slab table as it is now: records written so far stay readable through it. */
  frozen(): FrozenSlabs {
    return this.#slabs.slice();
  }

  #slabFor(framed: number): number {
    const current = this.#current;
    if (current >= 0 && (this.#ends[current] as number) + framed <= this.#slabBytes) return current;
    if (current >= 0 && (this.#dead[current] as number) * 2 >= this.#recordBytes(current)) {
      this.#queue(current);
    }
    // A record larger than a slab gets one of its own size (at offset 0, so its handle is valid).
    const slab = this.#freeSlabs.pop() ?? this.#slabs.length;
    this.#slabs[slab] = newSlab(Math.max(this.#slabBytes, framed));
    this.#starts[slab] = 0;
    this.#ends[slab] = 0;
    this.#dead[slab] = 0;
    this.#current = slab;
    return slab;
  }

  /** The bytes from a slab's first record to the end of its last. */
  #recordBytes(slab: number): number {
    return (this.#ends[slab] as number) - (this.#starts[slab] as number);
  }

  #queue(slab: number): void {
    if (this.#compacting?.slab === slab || this.#toCompact.includes(slab)) return;
    this.#toCompact.push(slab);
  }

  /** Moves the live records of the slab under compaction, about `budget` bytes' worth. */
  #compactSome(budget: number): void {
    if (this.#inCompaction) return; // a move's own writes do not compact further
    this.#inCompaction = true;
    try {
      let left = budget;
      while (left > 0) {
        if (this.#compacting === null) {
          const slab = this.#toCompact.shift();
          if (slab === undefined) return;
          this.#compacting = { slab, offset: this.#starts[slab] as number };
        }
        left -= this.#moveNext(this.#compacting);
      }
    } finally {
      this.#inCompaction = false;
    }
  }

  /** Moves the record at the compaction's offset if live; returns the bytes scanned. */
  #moveNext(at: { slab: number; offset: number }): number {
    if (at.offset >= (this.#ends[at.slab] as number)) {
      this.#drop(at.slab);
      this.#compacting = null;
      return 1;
    }
    const handle = at.slab * slabSpan + at.offset;
    const record = recordIn(this.#slabs, handle);
    at.offset += kvSnapshotRecordHeaderBytes + record.length;
    if (this.#isLive(record, handle)) this.#moved(record, this.append(record));
    return kvSnapshotRecordHeaderBytes + record.length;
  }

  #drop(slab: number): void {
    this.#heldBytes -= this.#recordBytes(slab);
    this.#slabs[slab] = null; // captures that still read it hold their own reference
    this.#ends[slab] = 0;
    this.#dead[slab] = 0;
    this.#freeSlabs.push(slab);
  }
}

/**
 * A slab's memory: a plain Uint8Array (not a Buffer: its views cost a tenth of a Buffer's) over an
 * ArrayBuffer. Session 8 made slabs SharedArrayBuffers, whose memory V8 does not count against its
 * next full collection: a store growing by slabs alone started fewer of them. In a server, the
 * log's commands churn that budget anyway, and the shared slabs ran as many full collections
 * with a peak resident set as high or higher (a store fed as a server feeds it: 420 MB against
 * 432 on average, three alternated pairs; a cluster pair 459 against 485 MB; docs/benchmarks.md,
 * session 9), so they are plain again.
 */
function newSlab(bytes: number): Uint8Array {
  return new Uint8Array(bytes);
}

/** The record at `handle` in `slabs` (the live table or a frozen one). */
export function recordIn(slabs: FrozenSlabs, handle: RecordHandle): Uint8Array {
  const slab = slabs[Math.floor(handle / slabSpan)] as Uint8Array;
  const offset = handle % slabSpan;
  const start = offset + kvSnapshotRecordHeaderBytes;
  return slab.subarray(start, start + recordLength(slab, offset));
}

/** The framed record at `handle` in `slabs` (length prefix and command): a snapshot's bytes. */
export function framedRecordIn(slabs: FrozenSlabs, handle: RecordHandle): Uint8Array {
  const slab = slabs[Math.floor(handle / slabSpan)] as Uint8Array;
  const offset = handle % slabSpan;
  return slab.subarray(offset, offset + kvSnapshotRecordHeaderBytes + recordLength(slab, offset));
}

/** The length prefix at `offset` (big-endian, as `writeKvSnapshotRecordHeader` wrote it). */
function recordLength(slab: Uint8Array, offset: number): number {
  return (
    (slab[offset] as number) * 0x1000000 +
    (((slab[offset + 1] as number) << 16) |
      ((slab[offset + 2] as number) << 8) |
      (slab[offset + 3] as number))
  );
}
