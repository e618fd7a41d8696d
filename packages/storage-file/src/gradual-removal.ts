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

/** Files larger than this are cut down this much at a time before they are unlinked. */
export const removalStepBytes = 8 * 1024 * 1024;

/** How `GradualRemoval.remove` goes about one file. */
export type RemovalOptions = {
  readonly unused?: Promise<void>;
  readonly obsolete?: () => boolean;
  readonly setAside?: { readonly path: string; readonly dir: string };
};

export class GradualRemoval {
  readonly #fs: FileSystem;
  /** The removals, one after another. */
  #chain: Promise<void> = Promise.resolve();
  #stopped = false;

  constructor(fs: FileSystem) {
    this.#fs = fs;
  }

  /**
   * Removes `path` (`size` bytes) in the background. `unused`: the first cut waits for it (the
   * reads still using the file). `obsolete`: cuts only while it holds (a guard). `setAside`: the
   * file is first renamed there, durably (a name the next open removes whatever is left of it).
   * Never rejects: a failure leaves the file for the next open.
   */
  remove(path: string, size: number, options: RemovalOptions = {}): void {
    this.#chain = this.#chain
      .then(() => options.unused)
      .then(() => this.#cutDown(path, size, options))
      .catch(() => undefined);
  }

  /** Stops after the cut in progress (the storage closes); what is left, the next open removes. */
  stop(): Promise<void> {
    this.#stopped = true;
    return this.#chain;
  }

  /** Waits for the removals queued so far (tests). */
  settled(): Promise<void> {
    return this.#chain;
  }

  async #cutDown(path: string, size: number, options: RemovalOptions): Promise<void> {
    const going = () => !this.#stopped && (options.obsolete?.() ?? true);
    if (!going()) return;
    const { setAside } = options;
    if (setAside !== undefined) {
      await this.#fs.rename(path, setAside.path);
      await this.#fs.syncDir(setAside.dir);
      path = setAside.path;
    }
    const file = await this.#fs.openWritable(path, "existing");
    try {
      for (let left = size - removalStepBytes; left > 0; left -= removalStepBytes) {
        if (!going()) return;
        await file.truncate(left);
      }
    } finally {
      await file.close();
    }
    if (going()) await this.#fs.unlink(path);
  }
}
