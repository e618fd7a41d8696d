// Snapshot bytes on disk, one file per snapshot, never read or written whole:
//
//   snapshot-<index>.data           the bytes of a snapshot covering the log up to <index>
//   snapshot-<index>.data.tmp       one being written (taken here): fsynced, then renamed
//   snapshot-<index>.incoming.tmp   one being received in chunks: fsynced and renamed when put in
//                                    force
//   snapshot                        which one is in force (meta-files.ts): metadata only
//   snapshot-<index>.damaged        the bytes of the snapshot in force found damaged, set aside
//                                    for an operator (quarantined); never read again. At most
//                                    one, kept only until a snapshot at or past its index is
//                                    durably in force (the repair done)
//
// A taken snapshot streams into its temp file; fsync, rename, fsync the directory: durable, yet
// not in force until a persist says so (rewriting the small `snapshot` file atomically). A
// received one grows chunk by chunk in its incoming file; the persist that puts it in force first
// makes it durable the same way. Either way a crash leaves the old snapshot in force, whole, and
// opening removes every temp file and every data file not in force: a transfer or a write cut by
// a crash leaves nothing behind. Checksums (CRC-32, as the core's) are computed as bytes pass,
// compared before a snapshot is put in force, and again when one is read back whole. Both kinds
// are also synced in the background every 4 MiB as they are written, the writer waiting for one
// sync before starting the next (background-sync.ts), so the final fsync does not write hundreds
// of megabytes in one go and the log's writes never queue behind a backlog of snapshot bytes.

import { join } from "node:path";
import {
  type Index,
  InvalidPersistError,
  type Snapshot,
  SnapshotDamagedError,
  type SnapshotStream,
  type StoredSnapshot,
} from "@flotilla/core";
import { BackgroundSync } from "./background-sync.js";
import { StorageCorruptionError } from "./errors.js";
import type { FileSystem, WritableFile } from "./fs.js";
import type { GradualRemoval } from "./gradual-removal.js";
import { tempSuffix } from "./meta-files.js";
import { BlockChecksums, checkedRead, matches, readWhole } from "./snapshot-checks.js";
import {
  dataFileIndex,
  dataFileName,
  incomingFileName,
  quarantineFileIndex,
  quarantineFileName,
} from "./snapshot-file-names.js";
import { SnapshotReaders } from "./snapshot-readers.js";
import type { FileStorageRules } from "./storage-rules.js";

/**
 * A data file held: its size and CRC-32, and each block's CRC-32, recorded as its bytes passed on
 * their way in (taken, received, or read whole at open) so that a chunk read to send can be
 * checked without first reading the whole file again.
 */
type Held = StoredSnapshot & { readonly blocks: Uint32Array };

/** A snapshot being received: its incoming file, open, and how far it reaches. */
type Incoming = {
  readonly index: number;
  readonly file: WritableFile;
  /** Syncs it in the background as chunks arrive (background-sync.ts). */
  readonly syncing: BackgroundSync;
  /** The bytes received so far: their size, CRC-32 and block CRC-32s, in one pass. */
  readonly blocks: BlockChecksums;
};

/**
 * The snapshot data files of one FileStorage directory: written taken or received, put in force,
 * checked, read back whole or in chunks, quarantined when damaged.
 */
export class SnapshotFiles {
  readonly #fs: FileSystem;
  readonly #dir: string;
  /** The data files held (durable), by index: their size and CRC-32. */
  readonly #stored = new Map<number, Held>();
  #incoming: Incoming | null = null;
  /** The index of the one quarantined file kept (`snapshot-<index>.damaged`), if any. */
  #quarantined: number | null = null;
  /**
   * A stored snapshot whose bytes a chunk read found damaged and set aside: still one a persist
   * may put in force (see `check`).
   */
  #damagedHeld: (StoredSnapshot & { readonly index: number }) | null = null;
  readonly #rules: FileStorageRules;
  /** The data files held open while chunks of them are read to send. */
  readonly #readers: SnapshotReaders;
  /** Removes large data files no longer held in the background (the storage's, shared). */
  readonly #removal: GradualRemoval;

  /** Waited by each chunk read once it holds the file (the simulator's disk latency), if given. */
  readonly #beforeChunkRead: (() => Promise<void>) | undefined;

  constructor(
    fs: FileSystem,
    dir: string,
    rules: FileStorageRules,
    removal: GradualRemoval,
    beforeChunkRead?: () => Promise<void>,
  ) {
    this.#fs = fs;
    this.#dir = dir;
    this.#rules = rules;
    this.#readers = new SnapshotReaders(fs);
    this.#removal = removal;
    this.#beforeChunkRead = beforeChunkRead;
  }

  /**
   * On open (temp files already removed): keeps the data file of the snapshot in force, checking
   * that it is there with its size and CRC-32 (read whole: a sector damaged at rest is found
   * before the node acts on the snapshot), and removes every other. Returns "lost" when the bytes
   * are missing or damaged: the damaged file is quarantined (renamed `.damaged`, durably), and the
   * node gets the snapshot again from its leader (`Persisted.snapshotBytesLost`). Its metadata,
   * in the `snapshot` file under its own CRC-32, is what the node's log rests on; it is kept.
   */
  async recover(names: readonly string[], inForce: Snapshot | null): Promise<"intact" | "lost"> {
    this.#stored.clear();
    this.#incoming = null;
    this.#quarantined = null;
    this.#damagedHeld = null;
    for (const name of names) {
      const index = dataFileIndex(name);
      if (index !== null && index !== inForce?.index) await this.#fs.unlink(this.#path(name));
    }
    const bytes = await this.#checkInForce(inForce);
    // A quarantined file is kept while its snapshot is still the one in force and still lost
    // (the node repairs it from its leader); once a snapshot at or past it is durably in force it
    // is of no more use, and a node that lost several would otherwise keep every one.
    for (const name of names) {
      const index = quarantineFileIndex(name);
      if (index === null) continue;
      if (bytes === "lost" && index === inForce?.index) this.#quarantined = index;
      else await this.#fs.unlink(this.#path(name));
    }
    return bytes;
  }

  /** Checks the snapshot in force whole; quarantines its bytes if they are damaged. */
  async #checkInForce(inForce: Snapshot | null): Promise<"intact" | "lost"> {
    if (inForce === null) return "intact";
    const path = this.#path(dataFileName(inForce.index));
    const file = await this.#fs.openReadable(path);
    if (file === null) return "lost";
    if (file.size !== inForce.size) {
      await file.close();
      await this.#quarantine(inForce.index);
      return "lost";
    }
    const blocks = new BlockChecksums();
    try {
      // Read to check (the bytes themselves are streamed again when restored).
      for await (const _slice of readWhole(file, path, inForce, this.#rules, blocks)) {
        // only checked here (their block CRC-32s recorded on the way)
      }
    } catch (error) {
      if (!(error instanceof StorageCorruptionError)) throw error;
      await this.#quarantine(inForce.index);
      return "lost";
    }
    this.#stored.set(inForce.index, {
      size: inForce.size,
      checksum: inForce.checksum,
      blocks: blocks.finish(),
    });
    return "intact";
  }

  /**
   * Sets a damaged data file aside under a name nothing reads, durably. One is kept: an older
   * quarantined file goes (the newer damage is what an operator would look at).
   */
  async #quarantine(index: number): Promise<void> {
    await this.#fs.rename(this.#path(dataFileName(index)), this.#path(quarantineFileName(index)));
    await this.#fs.syncDir(this.#dir);
    const older = this.#quarantined;
    this.#quarantined = index;
    if (older !== null && older !== index)
      await this.#fs.unlink(this.#path(quarantineFileName(older)));
  }

  /** Streams a taken snapshot into its data file: temp, fsync, rename, fsync the directory. */
  async write(index: Index, data: SnapshotStream, usable: () => void): Promise<StoredSnapshot> {
    const name = dataFileName(index);
    const temp = this.#path(name + tempSuffix);
    const file = await this.#fs.openWritable(temp, "create");
    const syncing = new BackgroundSync(file);
    const blocks = new BlockChecksums();
    try {
      for await (const slice of data) {
        usable();
        await file.write(slice, blocks.size);
        await syncing.wrote(slice.byteLength);
        blocks.add(slice);
      }
      await syncing.finish();
    } finally {
      await syncing.abandon();
      await file.close();
    }
    usable();
    await this.#fs.rename(temp, this.#path(name));
    await this.#fs.syncDir(this.#dir);
    const { size, checksum } = blocks;
    this.#stored.set(index, { size, checksum, blocks: blocks.finish() });
    if (this.#damagedHeld?.index === index) this.#damagedHeld = null;
    return { size, checksum };
  }

  /** Stores a chunk of a snapshot being received (not synced: `putInForce` does that). */
  async writeChunk(snapshot: Snapshot, offset: number, data: Uint8Array): Promise<void> {
    if (offset === 0) {
      await this.#dropIncoming();
      const path = this.#path(incomingFileName(snapshot.index));
      const file = await this.#fs.openWritable(path, "create");
      const syncing = new BackgroundSync(file);
      this.#incoming = { index: snapshot.index, file, syncing, blocks: new BlockChecksums() };
    }
    const incoming = this.#incoming;
    if (incoming === null || incoming.index !== snapshot.index || incoming.blocks.size !== offset) {
      throw new InvalidPersistError(
        `snapshot chunk of ${snapshot.index} at offset ${offset} does not continue the one being received`,
      );
    }
    await incoming.file.write(data, offset);
    await incoming.syncing.wrote(data.byteLength);
    incoming.blocks.add(data);
  }

  /** Refuses (InvalidPersistError) a snapshot whose bytes are not held whole. */
  check(snapshot: Snapshot): void {
    const stored = this.#stored.get(snapshot.index);
    if (stored !== undefined && matches(snapshot, stored)) return;
    // Stored, then found damaged at rest before the persist putting it in force ran (a leader
    // sends a snapshot as soon as it is taken): no misuse. It goes in force with its bytes lost,
    // the state an open would find (the node repairs it), and the driver is already taking it
    // again (ApplyTracker.retake), which stores the bytes anew.
    const damaged = this.#damagedHeld;
    if (damaged?.index === snapshot.index && matches(snapshot, damaged)) return;
    const incoming = this.#incoming;
    if (incoming?.index === snapshot.index && matches(snapshot, incoming.blocks)) return;
    throw new InvalidPersistError(
      `no stored bytes for snapshot ${snapshot.index} of ${snapshot.size} bytes with CRC-32 ${snapshot.checksum}`,
    );
  }

  /**
   * Makes `snapshot`'s data file durable under its final name (after `check`): a received one is
   * fsynced, renamed and its directory fsynced; a taken one already is.
   */
  async makeDurable(snapshot: Snapshot): Promise<void> {
    const incoming = this.#incoming;
    if (
      incoming === null ||
      incoming.index !== snapshot.index ||
      !matches(snapshot, incoming.blocks)
    ) {
      return;
    }
    this.#incoming = null;
    try {
      await incoming.syncing.finish();
    } finally {
      await incoming.syncing.abandon();
      await incoming.file.close();
    }
    const name = dataFileName(snapshot.index);
    await this.#fs.rename(this.#path(incomingFileName(snapshot.index)), this.#path(name));
    await this.#fs.syncDir(this.#dir);
    const { size, checksum } = incoming.blocks;
    this.#stored.set(snapshot.index, { size, checksum, blocks: incoming.blocks.finish() });
  }

  /**
   * After `snapshot` was put in force: removes the data files of older snapshots, and the
   * quarantined file of one at or before it (repaired: its bytes are in force again, or newer ones).
   */
  async dropOlderThan(snapshot: Snapshot): Promise<void> {
    for (const [index, held] of [...this.#stored]) {
      if (index < snapshot.index) {
        this.#stored.delete(index);
        const unused = this.#readers.unused(index);
        await this.#readers.retire(index);
        const path = this.#path(dataFileName(index));
        // A large one is cut down in the background (gradual-removal.ts).
        if (this.#removal.takes(held.size)) {
          const obsolete = () => !this.#stored.has(index);
          this.#removal.remove(path, held.size, { unused, obsolete });
        } else {
          await this.#fs.unlink(path);
        }
      }
    }
    const quarantined = this.#quarantined;
    const repaired =
      quarantined !== null &&
      (quarantined < snapshot.index ||
        (quarantined === snapshot.index && this.#stored.has(snapshot.index)));
    if (repaired) {
      this.#quarantined = null;
      await this.#fs.unlink(this.#path(quarantineFileName(quarantined)));
    }
  }

  /**
   * `length` bytes at `offset` of a held snapshot, or null if it is no longer held. Never bytes
   * that fail their check: every read checks the blocks it covers against the CRC-32s recorded
   * as the snapshot's bytes came in (written, received or read whole at open). Damaged bytes are
   * quarantined (as at open) and the read rejects with `SnapshotDamagedError`.
   */
  async readChunk(snapshot: Snapshot, offset: number, length: number): Promise<Uint8Array | null> {
    const held = this.#stored.get(snapshot.index);
    if (held === undefined || !matches(snapshot, held)) return null;
    const path = this.#path(dataFileName(snapshot.index));
    // Held open from one chunk to the next (snapshot-readers.ts).
    const { reader, file } = await this.#readers.acquire(snapshot.index, held, path);
    let failed = true;
    try {
      if (file === null) return null; // removed meanwhile: a newer one was put in force
      await this.#beforeChunkRead?.();
      const reach = Math.min(length, held.size);
      const bytes = await this.#readers.oneAtATime(reader, () =>
        checkedRead(file, path, held.blocks, offset, reach, this.#rules),
      );
      failed = false;
      return bytes;
    } catch (error) {
      if (!(error instanceof StorageCorruptionError)) throw error;
      // Another read of the same window may have found it first and set it aside already.
      if (this.#stored.get(snapshot.index) === held) {
        this.#stored.delete(snapshot.index);
        this.#damagedHeld = { index: snapshot.index, size: held.size, checksum: held.checksum };
        await this.#quarantine(snapshot.index);
      }
      throw new SnapshotDamagedError(snapshot.index, error.message);
    } finally {
      await this.#readers.release(reader, failed);
    }
  }

  /**
   * Streams a held snapshot's bytes (a restore); rejects with StorageCorruptionError if they are
   * not whole. Like a chunk read, it holds the file (snapshot-readers.ts), so that a newer
   * snapshot put in force meanwhile does not cut it under the read (gradual-removal.ts).
   */
  async *read(snapshot: Snapshot): SnapshotStream {
    const path = this.#path(dataFileName(snapshot.index));
    const held = this.#stored.get(snapshot.index);
    const holds = this.#rules.restoreHoldsFile && held !== undefined && matches(snapshot, held);
    const done = holds ? this.#readers.holdWhole(snapshot.index) : undefined;
    try {
      const file = await this.#fs.openReadable(path);
      if (file === null) throw new StorageCorruptionError(path, 0, "the snapshot file is missing");
      yield* readWhole(file, path, snapshot, this.#rules);
    } finally {
      done?.();
    }
  }

  /** Closes the incoming file, if any (its temp file is removed on the next open). */
  async close(): Promise<void> {
    await this.#readers.retireAll();
    await this.#dropIncoming();
  }

  async #dropIncoming(): Promise<void> {
    const incoming = this.#incoming;
    this.#incoming = null;
    if (incoming === null) return;
    await incoming.syncing.abandon();
    await incoming.file.close();
    await this.#fs.unlink(this.#path(incomingFileName(incoming.index)));
  }

  #path(name: string): string {
    return join(this.#dir, name);
  }
}
