// Removing a data file of an old snapshot (hundreds of megabytes) with one unlink frees all its
// blocks in one go, and on this project's disk (ext4 mounted with `discard`) that took 166-194 ms
// and held an O_DSYNC log append made meanwhile for 143-170 ms. The unlink ran inside the persist
// that put the newer snapshot in force, so the node's next log write (and a follower's
// acknowledgements, which wait for it) waited for all of it: with a 200 ms election timeout, a
// leader whose only live follower did this stepped down (CheckQuorum, bench growth).
//
// So a large file no longer held is cut down from its end `removalStepBytes` at a time, each cut
// its own system call, and unlinked once small: beside the persist queue, one file and one cut at
// a time, the first cut once the reads still using the file have finished. Nothing depends on
// it: a data file not in force is removed by the next open whatever is left of it
// (snapshot-files.ts), so a crash, a failed cut or a close midway leaves only bytes for the next
// open. `bench storage --beside-snapshot-mb 200` (docs/benchmarks.md, session 13): putting a
// 200 MB snapshot in force over another took 279-401 ms, now 4-94; with 16 MiB cuts an append
// beside them still took 125-151 ms in two runs of four, with 8 MiB at most 62.

import type { FileSystem } from "./fs.js";
import { type FileStorageRules, shippedStorageRules } from "./storage-rules.js";

/** Files larger than this are cut down this much at a time before they are unlinked (shipped). */
export const removalStepBytes = 8 * 1024 * 1024;

/**
 * How large files are removed: the shipped step, or (the cluster simulator) a step of a few KiB,
 * so that its small files take this path, with a disk latency after each cut, so that a crash or
 * a close may fall midway through a removal.
 */
export type RemovalPacing = {
  /** Files larger than this are cut down this much at a time; smaller ones are unlinked at once. */
  readonly stepBytes: number;
  /** Waited after each cut and after the set-aside rename (what a cut costs the disk). */
  readonly afterCut?: () => Promise<void>;
  /** Runs one removal once its reads have finished (the simulator counts it as work in flight). */
  readonly run?: (removal: () => Promise<void>) => Promise<void>;
  /**
   * Waited by every chunk read of a snapshot once it holds the file and before it reads (what a
   * read costs the disk), so that a removal may be due while reads still use the file.
   */
  readonly beforeChunkRead?: () => Promise<void>;
};

export const shippedRemovalPacing: RemovalPacing = { stepBytes: removalStepBytes };

/** How `GradualRemoval.remove` goes about one file. */
export type RemovalOptions = {
  /** Settles once no read uses the file any more (snapshot-readers.ts). */
  readonly unused?: Promise<void>;
  readonly obsolete?: () => boolean;
  readonly setAside?: { readonly path: string; readonly dir: string };
};

export class GradualRemoval {
  readonly #fs: FileSystem;
  /** The removals, one after another. */
  #chain: Promise<void> = Promise.resolve();
  #stopped = false;
  /** Settles on `stop`: a removal still waiting for its reads gives up then. */
  readonly #stopping: Promise<void>;
  #markStopping = () => {};
  readonly #pacing: RemovalPacing;
  readonly #rules: Pick<FileStorageRules, "setsAsideCoveredSegments" | "removalWaitsForReads">;

  constructor(
    fs: FileSystem,
    pacing: RemovalPacing = shippedRemovalPacing,
    rules: Pick<
      FileStorageRules,
      "setsAsideCoveredSegments" | "removalWaitsForReads"
    > = shippedStorageRules,
  ) {
    this.#fs = fs;
    this.#pacing = pacing;
    this.#rules = rules;
    this.#stopping = new Promise((resolve) => {
      this.#markStopping = resolve;
    });
  }

  /** Whether a file of `size` bytes is removed here (in the background) rather than unlinked. */
  takes(size: number): boolean {
    return size > this.#pacing.stepBytes;
  }

  /**
   * Removes `path` (`size` bytes) in the background. `unused`: the first cut waits for it (the
   * reads still using the file). `obsolete`: cuts only while it holds (a guard). `setAside`: the
   * file is first renamed there, durably (a name the next open removes whatever is left of it).
   * Never rejects: a failure leaves the file for the next open.
   */
  remove(path: string, size: number, options: RemovalOptions = {}): void {
    const run = this.#pacing.run ?? ((removal) => removal());
    // A planted defect only (the simulator's): the file cut while reads still use it.
    const unused = this.#rules.removalWaitsForReads ? options.unused : undefined;
    this.#chain = this.#chain
      // A read that never ends (a restore its consumer dropped) must not hold up a close.
      .then(() => (unused === undefined ? undefined : Promise.race([unused, this.#stopping])))
      .then(() => run(() => this.#cutDown(path, size, options)))
      .catch(() => undefined);
  }

  /** Stops after the cut in progress (the storage closes); what is left, the next open removes. */
  stop(): Promise<void> {
    this.#stopped = true;
    this.#markStopping();
    return this.#chain;
  }

  /** Waits for the removals queued so far (tests). */
  settled(): Promise<void> {
    return this.#chain;
  }

  async #cutDown(path: string, size: number, options: RemovalOptions): Promise<void> {
    const going = () => !this.#stopped && (options.obsolete?.() ?? true);
    if (!going()) return;
    // A planted defect only (the simulator's): the file cut under its own name.
    const setAside = this.#rules.setsAsideCoveredSegments ? options.setAside : undefined;
    if (setAside !== undefined) {
      await this.#fs.rename(path, setAside.path);
      await this.#fs.syncDir(setAside.dir);
      await this.#pacing.afterCut?.();
      path = setAside.path;
    }
    const step = this.#pacing.stepBytes;
    const file = await this.#fs.openWritable(path, "existing");
    try {
      for (let left = size - step; left > 0; left -= step) {
        if (!going()) return;
        await file.truncate(left);
        await this.#pacing.afterCut?.();
      }
    } finally {
      await file.close();
    }
    if (going()) await this.#fs.unlink(path);
  }
}
