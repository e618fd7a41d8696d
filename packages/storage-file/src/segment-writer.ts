// Appending records to the log's segment files: one record per call, written and fdatasynced (or
// written O_DSYNC, the same in one system call) before the call resolves; a new segment once the
// last one is full; compacted segments deleted.
//
// When a write or an fsync fails, the record is taken back out of the page cache (the segment cut
// back to where it ended, or a new segment removed) on a best-effort basis, and never fsynced
// again: after a failed fsync Linux may have marked the pages clean without writing them
// ("fsyncgate"), so a later fsync, even one that succeeds, would not make them durable while a
// reader, or a reopened storage, would still see them and build on them.

import { join } from "node:path";
import type { Entry, Index } from "@flotilla/core";
import type { FileSystem, WritableFile } from "./fs.js";
import type { GradualRemoval } from "./gradual-removal.js";
import {
  type EncodedLogRecord,
  encodeLogEntries,
  encodeLogEntriesInSlices,
  writeLogRecord,
} from "./log-record.js";
import { tempSuffix } from "./meta-files.js";
import { framedRecordBytes, frameRecordInto } from "./record.js";
import { type SegmentInfo, segmentName } from "./segments.js";

/** How far ahead of the data a segment is grown with zeros (see #frame). */
const zeroFillBytes = 1024 * 1024;
/** Records up to this size are framed in the reused buffer (larger ones in their own). */
const scratchBytesMax = 64 * 1024;
/**
 * Entries encoded in one turn of the event loop: a record of more is encoded in slices. The
 * simulator's batches are far smaller, so its runs never take this path.
 */
const encodeSliceEntries = 1024;

/** A turn of the event loop: setImmediate in Node (I/O runs first), a timer in a browser. */
function turn(): Promise<void> {
  return new Promise((resolve) =>
    typeof setImmediate === "function" ? setImmediate(resolve) : setTimeout(resolve, 0),
  );
}

/**
 * Writes `bytes` at `position` and makes them durable: in one step where the file system offers
 * it (an O_DSYNC write), else a write and an fdatasync. Either way a failure leaves the record
 * for `forgetUnsynced`: after a failed O_DSYNC write, as after a failed fdatasync, the pages may
 * be marked clean without being on disk.
 */
function writeDurably(file: WritableFile, bytes: Uint8Array, position: number): Promise<void> {
  if (file.writeSynced !== undefined) return file.writeSynced(bytes, position);
  return file.write(bytes, position).then(() => file.sync());
}

/** A record written but not yet synced: how to take it back. */
type Unsynced =
  | { readonly kind: "appended"; readonly path: string; readonly bytesBefore: number }
  | { readonly kind: "created"; readonly path: string };

export class SegmentWriter {
  readonly #fs: FileSystem;
  readonly #dir: string;
  readonly #segmentBytesMax: number;
  #segments: SegmentInfo[] = [];
  /** Open handle on the last segment, once something has been appended to it by this process. */
  #active: WritableFile | null = null;
  #unsynced: Unsynced | null = null;
  /**
   * The buffer records are framed in, reused: a write has consumed its bytes once it settles, and
   * appends never overlap. (A new buffer per record costs several times Node's price in Chromium,
   * where the playground runs the simulator.) A large record, or one with zero fill, gets a buffer
   * of its own.
   */
  #scratch = new Uint8Array(0);
  /** Removes large covered segments in the background (the storage's, shared). */
  readonly #removal: GradualRemoval;

  constructor(fs: FileSystem, dir: string, segmentBytesMax: number, removal: GradualRemoval) {
    this.#fs = fs;
    this.#dir = dir;
    this.#segmentBytesMax = segmentBytesMax;
    this.#removal = removal;
  }

  /** The segments as read from disk. */
  reset(segments: SegmentInfo[]): void {
    this.#segments = segments;
  }

  /** Appends one record and makes it durable. */
  async append(prevIndex: Index, commit: Index, entries: readonly Entry[]): Promise<void> {
    const record = { prevIndex, commit, entries };
    // A long batch is encoded a slice at a time, the event loop turning between slices (the
    // record is still written whole, in one O_DSYNC write).
    const encoded =
      entries.length > encodeSliceEntries
        ? await encodeLogEntriesInSlices(record, encodeSliceEntries, turn)
        : encodeLogEntries(record);
    const maxIndex = entries.at(-1)?.index ?? 0;
    const last = this.#segments.at(-1);
    if (last === undefined || last.bytes >= this.#segmentBytesMax) {
      await this.#startSegment(last, encoded, maxIndex);
      return;
    }
    this.#active ??= await this.#fs.openWritable(last.path, "existing");
    const recordBytes = framedRecordBytes(encoded.payloadBytes, false);
    const bytes = this.#frame(encoded, false, last.bytes, last.allocatedBytes);
    this.#unsynced = { kind: "appended", path: last.path, bytesBefore: last.bytes };
    await writeDurably(this.#active, bytes, last.bytes);
    this.#unsynced = null;
    last.allocatedBytes = Math.max(last.allocatedBytes, last.bytes + bytes.length);
    last.bytes += recordBytes;
    last.maxIndex = Math.max(last.maxIndex, maxIndex);
  }

  async #startSegment(last: SegmentInfo | undefined, encoded: EncodedLogRecord, maxIndex: number) {
    if (last !== undefined && last.allocatedBytes > last.bytes) {
      // Only the last segment may end in zero fill (recovery treats it as damage anywhere else),
      // so cut it off the full one before a new segment exists. Zero fill never passes
      // segmentBytesMax, so this happens only after reopening with a smaller segmentBytesMax.
      this.#active ??= await this.#fs.openWritable(last.path, "existing");
      await this.#active.truncate(last.bytes);
      await this.#active.sync();
      last.allocatedBytes = last.bytes;
    }
    await this.#active?.close();
    this.#active = null;
    const seq = (last?.seq ?? 0) + 1;
    const path = join(this.#dir, segmentName(seq));
    this.#unsynced = { kind: "created", path };
    const file = await this.#fs.openWritable(path, "create");
    this.#active = file;
    const recordBytes = framedRecordBytes(encoded.payloadBytes, true);
    const bytes = this.#frame(encoded, true, 0, 0);
    await writeDurably(file, bytes, 0);
    // The new file's directory entry must be durable too, or a crash could lose the whole segment.
    await this.#fs.syncDir(this.#dir);
    this.#unsynced = null;
    this.#segments.push({
      seq,
      path,
      bytes: recordBytes,
      allocatedBytes: bytes.length,
      maxIndex,
    });
  }

  /**
   * After a failed append: takes the record that may not be durable back out of the page cache,
   * so that a storage reopened without a reboot does not load it (it would then acknowledge
   * entries after it, and a crash would lose it under them). Best effort: if this fails too,
   * recovery still cuts a torn tail, and the caller reports the first failure.
   */
  async forgetUnsynced(): Promise<void> {
    const unsynced = this.#unsynced;
    this.#unsynced = null;
    if (unsynced === null) return;
    try {
      if (unsynced.kind === "created") {
        await this.close();
        await this.#fs.unlink(unsynced.path);
      } else {
        this.#active ??= await this.#fs.openWritable(unsynced.path, "existing");
        await this.#active.truncate(unsynced.bytesBefore);
      }
    } catch {
      // See above: the failure that brought us here is the one to report.
    }
  }

  /**
   * The framed record to write at `position`, followed by zeros when it would grow the file: an
   * fdatasync that must also record a new file size commits the file system's journal and costs
   * about twice one that does not (measured on ext4 here), so the file is grown ahead of the data,
   * a chunk at a time, in the same write and the same fsync as a record.
   */
  #frame(
    encoded: EncodedLogRecord,
    withSegmentHeader: boolean,
    position: number,
    allocatedBytes: number,
  ): Uint8Array {
    const end = position + framedRecordBytes(encoded.payloadBytes, withSegmentHeader);
    const fillBytes =
      end <= allocatedBytes ? 0 : Math.min(zeroFillBytes, Math.max(0, this.#segmentBytesMax - end));
    const recordBytes = end - position;
    let out: Uint8Array;
    if (fillBytes > 0 || recordBytes > scratchBytesMax) {
      out = new Uint8Array(recordBytes + fillBytes);
    } else {
      if (this.#scratch.length < recordBytes) {
        this.#scratch = new Uint8Array(Math.min(scratchBytesMax, Math.max(recordBytes * 2, 4096)));
      }
      out = this.#scratch.subarray(0, recordBytes);
    }
    frameRecordInto(out, encoded.payloadBytes, withSegmentHeader, (offset) =>
      writeLogRecord(encoded, out, offset),
    );
    return out;
  }

  /**
   * Deletes the oldest segments while everything in them is covered by the snapshot (never the
   * one being appended to). The directory is not synced for this: a deletion lost in a crash
   * leaves a segment that recovery recognises as covered by the snapshot and deletes again. A
   * large one (64 MiB by default) is removed in the background instead, a cut at a time
   * (gradual-removal.ts): first renamed to a temp name, durably, since recovery would take a
   * segment cut short under its own name for a torn log; a temp file it removes, whatever is left.
   */
  async dropCoveredBy(snapshotIndex: number): Promise<void> {
    while (this.#segments.length > 1 && this.#segments[0]!.maxIndex <= snapshotIndex) {
      const { path, allocatedBytes } = this.#segments[0]!;
      if (this.#removal.takes(allocatedBytes)) {
        const setAside = { path: path + tempSuffix, dir: this.#dir };
        this.#removal.remove(path, allocatedBytes, { setAside });
      } else {
        await this.#fs.unlink(path);
      }
      this.#segments.shift();
    }
  }

  async close(): Promise<void> {
    const active = this.#active;
    this.#active = null;
    await active?.close();
  }
}
