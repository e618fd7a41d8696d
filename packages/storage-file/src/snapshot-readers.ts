// The snapshot data files held open while they are being sent. A leader sends a snapshot in
// chunks of 256 KiB, several in flight at once; opening, stat-ing and closing the file for every
// chunk was about a third of its CPU during a 200 MB catch-up (issue 11). So each data file a
// chunk is read from stays open until the snapshot is superseded (its file removed), set aside as
// damaged, replaced by a retake at the same index, a read of it fails, or the storage closes.
//
// A handle holds nothing that a crash could lose: the file is durable before any chunk is read
// from it, and a read sees what an open would. Reads run beside the persist queue, so a handle
// retired while reads are still using it is closed by the last of them.

import type { FileSystem, ReadableFile } from "./fs.js";

/** One data file open for chunk reads, and who still uses it. */
export type Reader = {
  /** What the file was opened for: a new record at the same index is a different file. */
  readonly key: object;
  readonly file: Promise<ReadableFile | null>;
  /** Reads between `acquire` and `release`. */
  users: number;
  /** No longer handed out: closed once its last user releases it. */
  retired: boolean;
  closed: boolean;
  /** The read in flight, which the next one waits for. */
  queue: Promise<unknown>;
  /** Settles once the handle is closed (no read uses the file any more). */
  readonly closing: Promise<void>;
  readonly markClosed: () => void;
};

/** The whole reads of one data file under way, and a promise that settles once none is. */
type WholeReads = { count: number; readonly done: Promise<void>; readonly markDone: () => void };

/** A read handle lent out by `SnapshotReaders.acquire`; give it back with `release`. */
export type ReaderLease = { readonly reader: Reader; readonly file: ReadableFile | null };

/** The open read handles of one directory's snapshot data files, by snapshot index. */
export class SnapshotReaders {
  readonly #fs: FileSystem;
  readonly #open = new Map<number, Reader>();
  /** Whole reads (restores) under way, by snapshot index: each reads through a handle of its own. */
  readonly #whole = new Map<number, WholeReads>();

  constructor(fs: FileSystem) {
    this.#fs = fs;
  }

  /**
   * The open file of snapshot `index` at `path` (null if there is none), opened on first use.
   * `key` identifies the stored bytes (the held record): a different key retires the handle open
   * before and opens the file again.
   */
  async acquire(index: number, key: object, path: string): Promise<ReaderLease> {
    let reader = this.#open.get(index);
    if (reader !== undefined && reader.key !== key) {
      await this.retire(index);
      reader = undefined;
    }
    if (reader === undefined) {
      const file = this.#fs.openReadable(path);
      // A rejected open is seen by every read awaiting it; none is left unhandled.
      file.catch(() => undefined);
      let markClosed = () => {};
      const closing = new Promise<void>((resolve) => {
        markClosed = resolve;
      });
      reader = {
        key,
        file,
        users: 0,
        retired: false,
        closed: false,
        queue: Promise.resolve(),
        closing,
        markClosed,
      };
      this.#open.set(index, reader);
    }
    reader.users += 1;
    try {
      return { reader, file: await reader.file };
    } catch (error) {
      // The open failed: give the next read a fresh try.
      await this.release(reader, true);
      throw error;
    }
  }

  /**
   * Runs `read` once the reads of `reader` queued before it have settled: one at a time per file.
   * A transfer asks for a window of chunks at once (up to 16 when a burst of acknowledgements
   * frees it); read concurrently they completed in one pass of the event loop, and the leader
   * then encoded, sealed and sent them all in one turn: 8-17 chunks, 25-160 ms without a yield
   * at load 8 (issue 11). One at a time, each read completes in a pass of its own, while the
   * turn before it sends its chunk, so a turn sends about one chunk. A file's reads are
   * sequential anyway.
   */
  oneAtATime<T>(reader: Reader, read: () => Promise<T>): Promise<T> {
    const run = reader.queue.then(read, read);
    reader.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * Gives a lease back; `failed` (the read failed) retires the handle, so that the next read
   * opens the file afresh. Closes a retired handle once it is no longer used.
   */
  async release(reader: Reader, failed = false): Promise<void> {
    reader.users -= 1;
    if (failed) this.#forget(reader);
    await this.#closeIfUnused(reader);
  }

  /** Stops handing out the handle of `index` (superseded, set aside); closes it once unused. */
  async retire(index: number): Promise<void> {
    const reader = this.#open.get(index);
    if (reader === undefined) return;
    this.#forget(reader);
    await this.#closeIfUnused(reader);
  }

  /**
   * A whole read of snapshot `index` (a restore, through its own handle) starts; call the
   * function returned once it ends. Until then `unused(index)` does not settle.
   */
  holdWhole(index: number): () => void {
    let whole = this.#whole.get(index);
    if (whole === undefined) {
      let markDone = () => {};
      const done = new Promise<void>((resolve) => {
        markDone = resolve;
      });
      whole = { count: 0, done, markDone };
      this.#whole.set(index, whole);
    }
    const reads = whole;
    reads.count += 1;
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      reads.count -= 1;
      if (reads.count > 0) return;
      if (this.#whole.get(index) === reads) this.#whole.delete(index);
      reads.markDone();
    };
  }

  /** Settles once no read uses the file of `index` any more (at once if none does). */
  unused(index: number): Promise<void> {
    const handle = this.#open.get(index)?.closing;
    const whole = this.#whole.get(index)?.done;
    if (whole === undefined) return handle ?? Promise.resolve();
    return handle === undefined ? whole : Promise.all([handle, whole]).then(() => undefined);
  }

  /** Retires every handle (the storage closes). */
  async retireAll(): Promise<void> {
    for (const index of [...this.#open.keys()]) await this.retire(index);
  }

  #forget(reader: Reader): void {
    reader.retired = true;
    for (const [index, open] of this.#open) {
      if (open === reader) this.#open.delete(index);
    }
  }

  async #closeIfUnused(reader: Reader): Promise<void> {
    if (!reader.retired || reader.users > 0 || reader.closed) return;
    reader.closed = true;
    try {
      const file = await reader.file.catch(() => null);
      await file?.close();
    } finally {
      reader.markClosed();
    }
  }
}
