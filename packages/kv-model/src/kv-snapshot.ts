import { KvCommandError } from "./errors.js";
import { decodeKvCommand, putBytesMax, writeKvPutInto } from "./kv-command.js";
import type { KvState } from "./kv-state-machine.js";

// Snapshot bytes: the commands that rebuild the state, as `put`s sorted by key, each prefixed by
// its length as 4 bytes big-endian. Sorting makes equal states give equal bytes, so a simulator
// can compare nodes' states byte for byte.
//
// A large store cannot afford one buffer of its whole state (it would double its memory) nor one
// synchronous pass over it (it would stall its event loop past an election timeout), so the
// format is written in slices (`encodeKvSnapshotSlices`, each a whole number of records) and read
// from chunks cut anywhere (`KvSnapshotDecoder`). The one-buffer functions are the same code.

/** The bytes of a record's length prefix (big-endian), before its `put` command. */
export const kvSnapshotRecordHeaderBytes = 4;
const recordHeaderBytes = kvSnapshotRecordHeaderBytes;
/** The default slice: big enough to amortise a yield, small enough to encode in ~1 ms. */
export const kvSnapshotSliceBytesDefault = 256 * 1024;
/**
 * The scratch buffer's first size, doubled whenever a record does not fit. Small, because small
 * states are encoded often (the simulator compares nodes' states every 16 entries): a scratch of
 * the slice's size (1 MiB for one-buffer snapshots), zeroed at every call, made that cost 40% of
 * a simulated run.
 */
const scratchBytesInitial = 4 * 1024;
/**
 * A finished encoding's scratch buffer, for the next one to reuse: the simulator encodes small
 * states thousands of times per run, and allocating an ArrayBuffer each time costs (far more in
 * Chromium than in Node: docs/benchmarks.md, playground). Kept only up to this size.
 */
const scratchBytesKeptMax = 64 * 1024;
let spareScratch: Uint8Array | null = null;

/**
 * The snapshot of `entries` (which the caller gives in key order) in slices of at least
 * `sliceBytes` (the last may be smaller), each holding whole records. Lazy: a slice is encoded
 * when asked for, so a caller can yield to its event loop between slices. Records are written
 * straight into one scratch buffer (no array per record), and each slice is a copy of its part.
 */
export function* encodeKvSnapshotSlices(
  entries: Iterable<readonly [string, string]>,
  sliceBytes: number = kvSnapshotSliceBytesDefault,
): Generator<Uint8Array, void, undefined> {
  // Taken, so that two encodings under way at once never share one.
  let scratch = spareScratch ?? new Uint8Array(scratchBytesInitial);
  spareScratch = null;
  let used = 0;
  for (const [key, value] of entries) {
    let written = writeKvPutInto(key, value, scratch, used + recordHeaderBytes);
    if (written === 0) {
      const need = used + recordHeaderBytes + putBytesMax(key, value);
      const grown = new Uint8Array(Math.max(need, scratch.length * 2));
      grown.set(scratch.subarray(0, used));
      scratch = grown;
      written = writeKvPutInto(key, value, scratch, used + recordHeaderBytes);
    }
    writeUint32BigEndian(written, scratch, used);
    used += recordHeaderBytes + written;
    if (used >= sliceBytes) {
      yield scratch.slice(0, used);
      used = 0;
    }
  }
  const last = used > 0 ? scratch.slice(0, used) : null;
  if (scratch.length <= scratchBytesKeptMax) spareScratch = scratch;
  if (last !== null) yield last;
}

/** Writes a record's length prefix: `length` is its `put` command's bytes, which follow. */
export function writeKvSnapshotRecordHeader(length: number, target: Uint8Array, offset: number) {
  writeUint32BigEndian(length, target, offset);
}

function writeUint32BigEndian(n: number, target: Uint8Array, offset: number): void {
  target[offset] = n >>> 24;
  target[offset + 1] = (n >>> 16) & 0xff;
  target[offset + 2] = (n >>> 8) & 0xff;
  target[offset + 3] = n & 0xff;
}

/**
 * Reads a snapshot from chunks cut at any byte. Bad bytes throw `KvCommandError`.
 */
export class KvSnapshotDecoder {
  /**
   * A record cut by the end of a chunk: its bytes so far (length prefix included), grown as the
   * next chunks complete it. Only that record is copied; the records wholly inside a chunk are
   * views of it.
   */
  #partial: Uint8Array | null = null;
  #partialFilled = 0;
  /** The partial record's framed size, once its length prefix is whole (-1 before). */
  #partialBytes = -1;

  /** Takes the next chunk; returns the entries (key, value) whose records it completes. */
  push(chunk: Uint8Array): Array<readonly [string, string]> {
    return this.pushRecords(chunk).map((record) => {
      const command = decodeKvCommand(record);
      if (command.op !== "put") throw new KvCommandError(`a snapshot holds a ${command.op}`);
      return [command.key, command.value] as const;
    });
  }

  /**
   * Takes the next chunk; returns the records it completes, each the bytes of a command that
   * should be a `put` (the caller decodes them, e.g. with `decodeKvPut`, which tells any other
   * command). A record wholly inside `chunk` is a view of it (its `buffer` is the chunk's, at
   * its offset there, right after its 4-byte length prefix); one that began in an earlier chunk
   * is a copy.
   */
  pushRecords(chunk: Uint8Array): Uint8Array[] {
    // A plain view, whatever the chunk's class: a Node Buffer's `subarray` costs ten times more.
    const bytes = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const records: Uint8Array[] = [];
    let offset = 0;
    if (this.#partial !== null) {
      offset = this.#fillPartial(bytes);
      const partial = this.#partial;
      if (this.#partialFilled !== this.#partialBytes) return records;
      records.push(partial.subarray(recordHeaderBytes, this.#partialBytes));
      this.#partial = null;
    }
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    while (offset + recordHeaderBytes <= bytes.length) {
      const end = offset + recordHeaderBytes + view.getUint32(offset);
      if (end > bytes.length) break;
      records.push(bytes.subarray(offset + recordHeaderBytes, end));
      offset = end;
    }
    if (offset < bytes.length) {
      // A copy of the cut record's start: holding a view would keep the whole chunk alive.
      this.#partial = new Uint8Array(recordHeaderBytes);
      this.#partialFilled = 0;
      this.#partialBytes = -1;
      this.#fillPartial(bytes.subarray(offset));
    }
    return records;
  }

  /** Copies what `bytes` has of the partial record into it; returns the bytes taken. */
  #fillPartial(bytes: Uint8Array): number {
    let taken = 0;
    if (this.#partialBytes < 0) {
      taken = Math.min(recordHeaderBytes - this.#partialFilled, bytes.length);
      this.#copyIntoPartial(bytes.subarray(0, taken));
      if (this.#partialFilled < recordHeaderBytes) return taken;
      const partial = this.#partial as Uint8Array;
      this.#partialBytes =
        recordHeaderBytes +
        new DataView(partial.buffer, partial.byteOffset, recordHeaderBytes).getUint32(0);
    }
    const more = Math.min(this.#partialBytes - this.#partialFilled, bytes.length - taken);
    this.#copyIntoPartial(bytes.subarray(taken, taken + more));
    return taken + more;
  }

  #copyIntoPartial(bytes: Uint8Array): void {
    let partial = this.#partial as Uint8Array;
    const filled = this.#partialFilled + bytes.length;
    if (filled > partial.length) {
      // Grown by doubling up to the framed size, not to it at once: a damaged length prefix must
      // not allocate gigabytes before the stream's end tells the record is truncated.
      const grown = new Uint8Array(
        Math.min(this.#partialBytes, Math.max(filled, partial.length * 2)),
      );
      grown.set(partial.subarray(0, this.#partialFilled));
      partial = grown;
      this.#partial = grown;
    }
    partial.set(bytes, this.#partialFilled);
    this.#partialFilled = filled;
  }

  /** The stream has ended: throws `KvCommandError` if a record was left incomplete. */
  end(): void {
    if (this.#partial === null) return;
    throw new KvCommandError(
      this.#partialBytes < 0 ? "truncated snapshot record length" : "truncated snapshot record",
    );
  }
}

/** The whole snapshot of `state` in one buffer (small states: the simulator, tests). */
export function encodeKvSnapshot(state: KvState): Uint8Array {
  const keys = [...state.keys()].sort(compareKeys);
  const sorted = keys.map((key) => [key, state.get(key) as string] as const);
  const [only] = encodeKvSnapshotSlices(sorted, Number.POSITIVE_INFINITY);
  return only ?? new Uint8Array(0);
}

/** Reads a snapshot made by `encodeKvSnapshot`; throws `KvCommandError` for bad bytes. */
export function decodeKvSnapshot(bytes: Uint8Array): KvState {
  const decoder = new KvSnapshotDecoder();
  const state = new Map(decoder.push(bytes));
  decoder.end();
  return state;
}

/** The snapshot's key order: UTF-16 code units, as `<` compares strings. */
export function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
