// How a snapshot's bytes are checked (CRC-32, as the core's): whole against the size and checksum
// its metadata names (at open and at every restore), and block by block against the CRC-32s
// recorded as its bytes came in (every chunk read to send).

import { crc32 } from "node:zlib";
import type { Snapshot, SnapshotStream, StoredSnapshot } from "@flotilla/core";
import { crc32Combine, crc32ShiftFor } from "./crc32-combine.js";
import { StorageCorruptionError } from "./errors.js";
import type { ReadableFile } from "./fs.js";
import type { FileStorageRules } from "./storage-rules.js";

/** Slices read back at a time when streaming a snapshot out. */
const readSliceBytes = 1024 * 1024;
/** Slices read ahead of the one being consumed: two of libuv's four threads, the others left to writes. */
const readAheadSlices = 2;
/**
 * The blocks a snapshot's bytes are checked by when read to send: a chunk read costs at most two
 * blocks more than it returns, and the table 4 bytes per block (64 KiB per GiB of snapshot).
 */
const checkBlockBytes = 64 * 1024;

/** Whether `stored` holds `snapshot`'s bytes: the same size and CRC-32. */
export function matches(snapshot: Snapshot, stored: { size: number; checksum: number }): boolean {
  return snapshot.size === stored.size && snapshot.checksum === stored.checksum;
}

/**
 * Reads the blocks of `file` covering [offset, offset + length), checks each against `blocks`
 * (StorageCorruptionError naming the first that fails), and returns the range.
 */
export async function checkedRead(
  file: ReadableFile,
  path: string,
  blocks: Uint32Array,
  offset: number,
  length: number,
  rules: FileStorageRules,
): Promise<Uint8Array> {
  const end = Math.min(offset + length, file.size);
  if (end <= offset) return new Uint8Array(0);
  const first = Math.floor(offset / checkBlockBytes);
  const from = first * checkBlockBytes;
  const asked = Math.min(file.size, Math.ceil(end / checkBlockBytes) * checkBlockBytes) - from;
  const bytes = await file.read(from, asked);
  if (bytes.byteLength < asked) {
    // The file is shorter than the snapshot it holds: bytes gone, never a shorter chunk sent.
    throw new StorageCorruptionError(path, from + bytes.byteLength, "the snapshot file ends early");
  }
  for (let at = 0; at < bytes.byteLength; at += checkBlockBytes) {
    const block = first + at / checkBlockBytes;
    const found = crc32(bytes.subarray(at, at + checkBlockBytes));
    if (!rules.snapshotBlockIntact(blocks[block] ?? 0, found)) {
      throw new StorageCorruptionError(path, from + at, `block ${block} fails its CRC-32`);
    }
  }
  return bytes.subarray(offset - from, end - from);
}

/**
 * Streams an open snapshot file's bytes, closing it at the end; rejects with
 * StorageCorruptionError once they prove not to be `expected`'s (size and CRC-32). `blocks`
 * takes the bytes' block CRC-32s in the same pass (the whole CRC-32 is combined from them).
 */
export async function* readWhole(
  file: ReadableFile,
  path: string,
  expected: StoredSnapshot,
  rules: FileStorageRules,
  blocks = new BlockChecksums(),
): SnapshotStream {
  // Slices read ahead: the next ones are on their way from the disk while the consumer (a state
  // machine restoring, the check at open) works on this one, instead of after it.
  const pending: Promise<Uint8Array>[] = [];
  let asked = 0;
  const askAhead = (): void => {
    while (pending.length < readAheadSlices && asked < file.size) {
      pending.push(readAhead(file, asked));
      asked += readSliceBytes;
    }
  };
  try {
    askAhead();
    for (let next = pending.shift(); next !== undefined; next = pending.shift()) {
      const slice = await next;
      if (slice.byteLength === 0) break;
      const reached = blocks.size + slice.byteLength;
      if (slice.byteLength < readSliceBytes && reached < file.size) {
        // A short read before the end: what was asked after it starts at the wrong place.
        await settle(pending.splice(0));
        asked = reached;
      }
      askAhead();
      blocks.add(slice);
      yield slice;
    }
  } finally {
    // A consumer that stopped early leaves reads in flight: let them end before the file closes.
    await settle(pending);
    await file.close();
  }
  const { size: offset, checksum } = blocks;
  if (offset === 0) yield new Uint8Array(0);
  if (!rules.snapshotIntact(expected, { size: offset, checksum })) {
    // A whole-file checksum cannot say where: the damage is somewhere from byte 0 on.
    throw new StorageCorruptionError(
      path,
      0,
      `${offset} bytes with CRC-32 ${checksum}, expected ${expected.size} with ${expected.checksum}`,
    );
  }
}

/** Waits for reads no longer wanted, whatever their outcome. */
async function settle(reads: readonly Promise<Uint8Array>[]): Promise<void> {
  for (const read of reads) await read.catch(() => undefined);
}

/** Starts reading the slice at `position`; its failure is seen where it is awaited. */
function readAhead(file: ReadableFile, position: number): Promise<Uint8Array> {
  const read = file.read(position, readSliceBytes);
  // Not an unhandled rejection while the slice before it is still being consumed.
  read.catch(() => undefined);
  return read;
}

/** The shift that appending a whole block applies to the CRC-32 of the bytes before it. */
const blockShift = crc32ShiftFor(checkBlockBytes);

/**
 * The CRC-32 of each `checkBlockBytes` block of a snapshot's bytes, taken as they pass in order,
 * and of all of them (`size`, `checksum`): one pass over the bytes for both (crc32-combine.ts).
 * Recording them on the way in, not by reading the file whole before its first chunk is sent,
 * spares a leader a pass over hundreds of megabytes (one 64 KiB read at a time) while a follower
 * waits for its first chunk of every new snapshot (issue 11).
 */
export class BlockChecksums {
  readonly #done: number[] = [];
  /** The CRC-32 of the whole blocks done. */
  #doneCrc = 0;
  #crc = 0;
  #filled = 0;

  add(bytes: Uint8Array): void {
    for (let at = 0; at < bytes.byteLength; ) {
      const take = Math.min(checkBlockBytes - this.#filled, bytes.byteLength - at);
      this.#crc = crc32(bytes.subarray(at, at + take), this.#crc);
      this.#filled += take;
      at += take;
      if (this.#filled === checkBlockBytes) {
        this.#done.push(this.#crc);
        this.#doneCrc = crc32Combine(this.#doneCrc, this.#crc, blockShift);
        this.#crc = 0;
        this.#filled = 0;
      }
    }
  }

  /** The bytes added so far. */
  get size(): number {
    return this.#done.length * checkBlockBytes + this.#filled;
  }

  /** The CRC-32 of the bytes added so far (as node:zlib's crc32 over them all). */
  get checksum(): number {
    if (this.#filled === 0) return this.#doneCrc;
    return crc32Combine(this.#doneCrc, this.#crc, crc32ShiftFor(this.#filled));
  }

  finish(): Uint32Array {
    return Uint32Array.from(this.#filled > 0 ? [...this.#done, this.#crc] : this.#done);
  }
}
