// Durable Storage on the file system. Theory of operation:
//
// - The log is a sequence of append-only segment files. Each persist call appends at most ONE
//   checksummed record (its truncation point and its entries, see log-record.ts) and fdatasyncs
//   that one file, so a batch's log changes are durable together or not at all. A segment is rolled
//   (a new file begun) between records once it has reached `segmentBytesMax`; creating it costs
//   one extra fsync of the directory. Segments are grown ahead of the data with zeros (see
//   segment-writer.ts), never past `segmentBytesMax`.
// - Hard state and snapshot metadata each live in their own file, replaced atomically
//   (meta-files.ts); a snapshot's bytes stream in and out of a data file of their own
//   (snapshot-files.ts), never whole in memory.
//   The hard-state file is rewritten only when the term or the vote changes: those must be
//   durable before the batch is acknowledged (Raft paper Figure 2). The commit index need not be
//   durable, so it rides in the log record the batch appends anyway, and recovery takes the
//   largest commit index found in the hard-state file or any record. A batch that moves only the
//   commit and appends nothing writes nothing; the next record carries the commit. So the commit
//   index loaded never goes back past one a record or the hard-state file held, and a typical
//   replication batch costs one fdatasync, not three.
// - A batch is applied in the PersistEffect order: snapshot, log record, hard state. Each step is
//   durable before the next begins, so a crash leaves a prefix of the batch applied. One
//   exception: a truncation that comes with a snapshot is made durable first, in a record of its
//   own (see #apply), then the snapshot, then the entries.
// - After a snapshot, segments holding nothing after it are deleted, and older snapshot files.
// - A taken snapshot is streamed to disk beside the queue (writeSnapshot), so a large one never
//   delays a persist; chunk writes and reads of snapshots go through the queue or need none.
// - Calls are serialised through one promise chain: a persist waits for the one before it.
// - The whole state is checked up front (checkPersistBatch, shared with MemoryStorage), so misuse
//   is refused before anything is written. An I/O failure half-way leaves the disk holding a
//   prefix of the batch but the process no longer knowing which: the storage then refuses all
//   further calls until it is reopened (StorageFullError for ENOSPC, StorageNeedsReopenError for the
//   rest). It never retries a failed fsync (see segment-writer.ts), takes an unsynced record
//   back out of the page cache, and on open fsyncs the directory before anything read is used.

import { join } from "node:path";
import {
  ConfigError,
  checkPersistBatch,
  type Entry,
  FlotillaError,
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
import { StorageNeedsReopenError, storageFailure } from "./errors.js";
import { type FileSystem, nodeFileSystem } from "./fs.js";
import { GradualRemoval, type RemovalPacing } from "./gradual-removal.js";
import { acquireLock, isProcessAlive, releaseLock } from "./lock.js";
import {
  encodeHardState,
  encodeSnapshot,
  hardStateFile,
  readHardState,
  readSnapshot,
  snapshotFile,
  tempSuffix,
  writeAtomically,
} from "./meta-files.js";
import { SegmentWriter } from "./segment-writer.js";
import { readLog } from "./segments.js";
import { SnapshotFiles } from "./snapshot-files.js";
import { type FileStorageRules, shippedStorageRules } from "./storage-rules.js";

/** Options of `openFileStorage`. */
export type FileStorageOptions = {
  /** Start a new segment file once the current one holds this many bytes. Default 64 MiB. */
  readonly segmentBytesMax?: number;
  /** The file system to use; tests inject one that simulates crashes. Default: node:fs. */
  readonly fs?: FileSystem;
  /** The pid written to the lock file, and how to tell whether a lock holder is alive. */
  readonly pid?: number;
  /** Whether the process `pid` (a lock holder) still runs; a dead holder's lock is taken over. */
  readonly isProcessAlive?: (pid: number) => boolean;
  /**
   * The checks made of bytes read back; default the shipped ones. Only tests pass this, to plant
   * a defect (the simulator's checksum skip) and show that a seed search finds it.
   */
  readonly rules?: FileStorageRules;
  /**
   * How large files no longer in force are removed (default: cut 8 MiB at a time). Only the
   * cluster simulator passes this: steps of a few KiB, so that its small files take that path.
   */
  readonly removal?: RemovalPacing;
};

const emptyHardState: HardState = { term: 0 as Term, vote: null, commit: 0 as Index };

/** Opens (creating if needed) the storage in `dir`, locking it and recovering from any crash. */
export function openFileStorage(
  dir: string,
  options: FileStorageOptions = {},
): Promise<FileStorage> {
  return FileStorage.open(dir, options);
}

/**
 * A `Storage` on a directory: checksummed append-only log segments, atomic hard state and snapshot
 * files, a lock file. Open it with `openFileStorage`; see the package README for the format and
 * recovery.
 */
export class FileStorage implements Storage {
  readonly #fs: FileSystem;
  readonly #dir: string;
  #hardState: HardState = emptyHardState;
  #snapshotIndex = 0;
  #snapshotTerm = 0;
  /** Terms of the live entries: `#terms[i]` is the term of entry `#snapshotIndex + 1 + i`. */
  #terms: number[] = [];
  readonly #log: SegmentWriter;
  readonly #snapshots: SnapshotFiles;
  /** Large files no longer needed (segments, snapshot data), removed in the background. */
  readonly #removal: GradualRemoval;
  readonly #rules: FileStorageRules;
  #queue: Promise<unknown> = Promise.resolve();
  /** Calls queued and not yet settled. */
  #pending = 0;
  #closed = false;
  #failure: unknown = undefined;
  /** What open() read, handed out by the first load() so that it does not read everything twice. */
  #loaded: Persisted | null = null;

  private constructor(
    dir: string,
    fs: FileSystem,
    segmentBytesMax: number,
    rules: FileStorageRules,
    removal: RemovalPacing | undefined,
  ) {
    this.#dir = dir;
    this.#fs = fs;
    this.#removal = new GradualRemoval(fs, removal, rules);
    this.#log = new SegmentWriter(fs, dir, segmentBytesMax, this.#removal);
    this.#snapshots = new SnapshotFiles(fs, dir, rules, this.#removal, removal?.beforeChunkRead);
    this.#rules = rules;
  }

  /**
   * Locks `dir` (creating it if needed), recovers it (cuts a torn tail, refuses corruption) and
   * returns the storage; same as `openFileStorage`.
   */
  static async open(dir: string, options: FileStorageOptions = {}): Promise<FileStorage> {
    const segmentBytesMax = options.segmentBytesMax ?? 64 * 1024 * 1024;
    if (!Number.isSafeInteger(segmentBytesMax) || segmentBytesMax < 1) {
      throw new ConfigError(
        "segmentBytesMax",
        `must be a positive integer, got ${segmentBytesMax}`,
      );
    }
    const fs = options.fs ?? nodeFileSystem;
    try {
      await fs.mkdir(dir);
      await acquireLock(fs, dir, {
        pid: options.pid ?? process.pid,
        isProcessAlive: options.isProcessAlive ?? isProcessAlive,
      });
    } catch (error) {
      throw typedOpenError(dir, error);
    }
    const rules = options.rules ?? shippedStorageRules;
    const storage = new FileStorage(dir, fs, segmentBytesMax, rules, options.removal);
    try {
      storage.#loaded = await storage.#recover();
    } catch (error) {
      // Report why recovery failed, not a secondary failure to remove the lock.
      await releaseLock(fs, dir).catch(() => undefined);
      throw typedOpenError(dir, error);
    }
    return storage;
  }

  /** The hard state, latest snapshot and log after it, as recovered on open. */
  load(): Promise<Persisted> {
    return this.#enqueue(async () => {
      this.#checkUsable();
      const loaded = this.#loaded;
      this.#loaded = null;
      return loaded ?? (await this.#read(false));
    });
  }

  /**
   * Appends one checksummed record (and replaces the hard state or snapshot file if they changed),
   * fsyncs, then resolves. Refuses an invalid batch with `InvalidPersistError`; after an I/O
   * failure refuses every call with `StorageNeedsReopenError`.
   */
  persist(batch: PersistBatch): Promise<void> {
    return this.#enqueue(async () => {
      this.#checkUsable();
      checkPersistBatch(this.#tip(), batch);
      if (batch.snapshot !== undefined) this.#snapshots.check(batch.snapshot);
      this.#loaded = null;
      try {
        await this.#apply(batch);
      } catch (error) {
        const failure = storageFailure(this.#dir, error);
        this.#failure = failure;
        await this.#log.forgetUnsynced();
        throw failure;
      }
    });
  }

  /**
   * Streams a taken snapshot into its own file (temp, fsync, rename, fsync the directory) beside
   * the queue of persists; not in force until a persist puts it there.
   */
  async writeSnapshot(index: Index, data: SnapshotStream): Promise<StoredSnapshot> {
    this.#checkUsable();
    try {
      return await this.#snapshots.write(index, data, () => this.#checkUsable());
    } catch (error) {
      if (error instanceof FlotillaError) throw error;
      throw storageFailure(this.#dir, error);
    }
  }

  /** Stores a chunk of a snapshot being received, in order with the persists. */
  writeSnapshotChunk(snapshot: Snapshot, offset: number, data: Uint8Array): Promise<void> {
    return this.#enqueue(async () => {
      this.#checkUsable();
      try {
        await this.#snapshots.writeChunk(snapshot, offset, data);
      } catch (error) {
        if (error instanceof FlotillaError) throw error;
        throw storageFailure(this.#dir, error);
      }
    });
  }

  /** Reads a chunk of a stored snapshot (null once a newer one replaced it). */
  async readSnapshotChunk(
    snapshot: Snapshot,
    offset: number,
    length: number,
  ): Promise<Uint8Array | null> {
    this.#checkUsable();
    try {
      return await this.#snapshots.readChunk(snapshot, offset, length);
    } catch (error) {
      // Typed like every other call's I/O failure: a failed fsync setting a damaged file aside
      // (EIO) must stop the node, not escape as a bare system error (sim seed 1837).
      if (error instanceof FlotillaError) throw error;
      throw storageFailure(this.#dir, error);
    }
  }

  /** Streams a stored snapshot, checking its size and CRC-32 at the end. */
  readSnapshot(snapshot: Snapshot): SnapshotStream {
    this.#checkUsable();
    return this.#snapshots.read(snapshot);
  }

  /** Waits for pending calls, then releases the directory. Calls after this are refused. */
  close(): Promise<void> {
    return this.#enqueue(async () => {
      if (this.#closed) return;
      this.#closed = true;
      this.#loaded = null;
      try {
        await this.#snapshots.close();
        await this.#log.close();
        // What is left of files being removed, the next open removes.
        await this.#removal.stop();
      } finally {
        await releaseLock(this.#fs, this.#dir);
      }
    });
  }

  /**
   * Runs `task` after the calls before it. With none pending it starts at once, not a job later:
   * a persist's write then reaches the kernel within the call, before the sends and applies the
   * driver's turn does right after handing it over (runtime.ts, issue #10).
   */
  #enqueue<T>(task: () => Promise<T>): Promise<T> {
    const run =
      this.#pending === 0 || !this.#rules.serializesCalls ? task() : this.#queue.then(task);
    this.#pending += 1;
    const settled = () => {
      this.#pending -= 1;
    };
    this.#queue = run.then(settled, settled);
    return run;
  }

  #checkUsable(): void {
    if (this.#closed) throw new StorageClosedError();
    if (this.#failure !== undefined) throw new StorageNeedsReopenError(this.#failure);
  }

  async #recover(): Promise<Persisted> {
    const names = await this.#fs.readdir(this.#dir);
    // A temp file is a replacement that never got renamed into place: the old file still holds.
    for (const name of names) {
      if (name.endsWith(tempSuffix)) await this.#fs.unlink(join(this.#dir, name));
    }
    const persisted = await this.#read(true, names);
    const snapshotBytes = await this.#snapshots.recover(names, persisted.snapshot);
    // What was read may include directory changes (a renamed hard-state or snapshot file, a new
    // segment) that the process before made but never got durable, e.g. because its directory
    // fsync failed. The node is about to act on them: make them durable first.
    await this.#fs.syncDir(this.#dir);
    return snapshotBytes === "lost" ? { ...persisted, snapshotBytesLost: true } : persisted;
  }

  /** Reads everything from disk and makes the in-memory tip match it. */
  async #read(repair: boolean, names?: readonly string[]): Promise<Persisted> {
    const hardState = (await readHardState(this.#fs, this.#dir)) ?? emptyHardState;
    const snapshot = await readSnapshot(this.#fs, this.#dir);
    const snapshotIndex = snapshot?.index ?? 0;
    const log = await readLog(
      this.#fs,
      this.#dir,
      names ?? (await this.#fs.readdir(this.#dir)),
      snapshotIndex,
      repair,
      this.#rules,
    );
    // The commit this process already knows (0 when opening) may be newer than any on disk: a
    // batch that moved only the commit wrote nothing.
    const commit = Math.max(hardState.commit, log.commit, this.#hardState.commit) as Index;
    this.#hardState = { ...hardState, commit };
    this.#snapshotIndex = snapshotIndex;
    this.#snapshotTerm = snapshot?.term ?? 0;
    this.#terms = log.entries.map((entry) => entry.term);
    this.#log.reset(log.segments);
    return { hardState: { ...this.#hardState }, snapshot, entries: log.entries };
  }

  async #apply(batch: PersistBatch): Promise<void> {
    const stored = this.#hardState;
    const next = batch.hardState ?? stored;
    // The commit index never goes back (a lower one would be a caller's bug; keep what is known).
    const commit = Math.max(stored.commit, next.commit) as Index;
    const termOrVote = next.term !== stored.term || next.vote !== stored.vote;
    let truncateFrom = batch.truncateFrom;
    if (batch.snapshot !== undefined) {
      if (truncateFrom !== undefined && truncateFrom <= this.#lastIndex()) {
        // A snapshot that comes with a truncation (a follower installing one that disagrees with
        // its log, Raft §7) must not become durable before the truncation: a crash between the
        // two would restart with the snapshot followed by the old suffix, which does not follow
        // it. So the truncation goes first, in a record of its own carrying the commit known
        // before this batch (the batch's commit may cover the snapshot, not the entry the
        // truncation leaves at its index). A crash after it leaves a prefix of the old log: a
        // state this node could have been in anyway.
        await this.#truncateAndAppend(truncateFrom, stored.commit, []);
        truncateFrom = undefined;
      }
      await this.#storeSnapshot(batch.snapshot);
    }
    const truncates = truncateFrom !== undefined && truncateFrom <= this.#lastIndex();
    if (truncates || batch.entries.length > 0) {
      // A crash before the hard-state file below can show this commit with the old term: fine,
      // a commit index is a fact about the log (those entries are committed), not about a term.
      await this.#truncateAndAppend(truncates ? truncateFrom : undefined, commit, batch.entries);
    }
    const hardState: HardState = { term: next.term, vote: next.vote, commit };
    if (termOrVote) {
      await writeAtomically(this.#fs, this.#dir, hardStateFile, encodeHardState(hardState));
    }
    this.#hardState = hardState;
    if (batch.snapshot !== undefined) {
      await this.#log.dropCoveredBy(this.#snapshotIndex);
      await this.#snapshots.dropOlderThan(batch.snapshot);
    }
  }

  /** One log record: the log cut after `truncateFrom - 1` (if given), then `entries`. */
  async #truncateAndAppend(
    truncateFrom: number | undefined,
    commit: Index,
    entries: readonly Entry[],
  ): Promise<void> {
    if (truncateFrom !== undefined) this.#terms.length = truncateFrom - 1 - this.#snapshotIndex;
    const prevIndex = this.#lastIndex() as Index;
    await this.#log.append(prevIndex, commit, entries);
    for (const entry of entries) this.#terms.push(entry.term);
  }

  #lastIndex(): number {
    return this.#snapshotIndex + this.#terms.length;
  }

  async #storeSnapshot(snapshot: Snapshot): Promise<void> {
    // Its bytes durable under their final name first, then the small file that puts it in force.
    await this.#snapshots.makeDurable(snapshot);
    await writeAtomically(this.#fs, this.#dir, snapshotFile, encodeSnapshot(snapshot));
    const dropped = Math.min(snapshot.index - this.#snapshotIndex, this.#terms.length);
    this.#terms = this.#terms.slice(dropped);
    this.#snapshotIndex = snapshot.index;
    this.#snapshotTerm = snapshot.term;
  }

  #tip(): StorageTip {
    const snapshotIndex = this.#snapshotIndex;
    return {
      snapshotIndex: snapshotIndex as Index,
      snapshotTerm: this.#snapshotTerm as Term,
      lastIndex: (snapshotIndex + this.#terms.length) as Index,
      hardStateTerm: this.#hardState.term,
      termAt: (index) => (this.#terms[index - snapshotIndex - 1] ?? 0) as Term,
    };
  }
}

/** An I/O error while opening, typed like one while persisting; Flotilla's own errors as they are. */
function typedOpenError(dir: string, error: unknown): unknown {
  return error instanceof FlotillaError ? error : storageFailure(dir, error);
}
