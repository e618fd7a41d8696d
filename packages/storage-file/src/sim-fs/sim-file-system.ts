// A simulated file system for deterministic tests and the cluster simulator. It behaves like a
// page cache in front of a disk:
//
// - Reads see every write at once; the disk holds a file's data only once the file is fsynced,
//   and a directory's creations, renames and removals only once the directory is fsynced.
// - A crash (`crash()` in place, `afterCrash()` for a copy) keeps the durable state plus, for
//   every file and every directory independently, a random prefix of its unsynced changes, the
//   last kept write torn at a random byte. So unsynced writes to different files survive in any
//   combination, and a created, renamed or removed file may be found as it was before.
// - Faults: a capacity (writes past it fail with ENOSPC after writing what fits, like a short
//   write), an fsync that fails with EIO (chosen by its point number or at random; the file data
//   it covered is lost on the next crash even if a later fsync succeeds, as on Linux; a
//   directory's changes stay unsynced), and a crash at a numbered point.
// - Every operation goes through an optional `io` hook before it takes effect: the simulator
//   delays it in virtual time (a slow disk). An operation that a crash overtook while it waited
//   fails with SimCrashError and changes nothing, as do all calls on handles opened before.
//
// All randomness comes from the injected `random` (a seeded PRNG), so a run replays from its seed.
// Paths are plain strings split on "/": no Node APIs, so it runs wherever the simulator does.

import { ConfigError } from "@flotilla/core";
import type { FileSystem, ReadableFile, WritableFile } from "../fs.js";
import { copyBytes } from "./byte-slab.js";
import { crashedDirs, flipBitAtRest } from "./crash-outcome.js";
import { normalizePath, SimDir, SimFile, splitPath } from "./sim-disk-model.js";
import {
  type CrashMode,
  SimCrashError,
  type SimFileSystemOptions,
  type SimIoKind,
  type SimIoOp,
} from "./sim-fs-types.js";
import { ioError } from "./sim-io-error.js";

/**
 * A simulated disk in memory: unsynced data and directory changes are lost or torn on `crash()`,
 * and faults (ENOSPC, EIO on fsync, a halt at a numbered point) are injected from a seeded random
 * source. The same seed replays the same disk.
 */
export class SimFileSystem implements FileSystem {
  readonly #dirs = new Map<string, SimDir>();
  readonly #random: (() => number) | undefined;
  readonly #io: ((op: SimIoOp) => Promise<void>) | undefined;
  /** Bumped by every in-place crash: handles and waiting operations of an older epoch are dead. */
  #epoch = 0;
  #halted = false;
  /** Mutating operations so far (writes, fsyncs, truncations, creations, renames, removals). */
  points = 0;
  /** Halt just before this point: it and every later call throw SimCrashError until `crash()`. */
  crashAtPoint: number | undefined = undefined;
  /** Make the fsync (of a file or directory) at this point fail with EIO. */
  failSyncAtPoint: number | undefined = undefined;
  capacityBytes: number;
  syncFailureProbability: number;
  /** See `SimFileSystemOptions.tornGarbageProbability`. */
  tornGarbageProbability: number;
  /** How many fsyncs failed (injected EIO). */
  failedSyncs = 0;

  constructor(options: SimFileSystemOptions = {}) {
    this.#random = options.random;
    this.#io = options.io;
    this.capacityBytes = options.capacityBytes ?? Number.POSITIVE_INFINITY;
    this.syncFailureProbability = options.syncFailureProbability ?? 0;
    this.tornGarbageProbability = options.tornGarbageProbability ?? 0;
  }

  /** Whether a crash point was reached: every call throws until `crash()`. */
  get halted(): boolean {
    return this.#halted;
  }

  /** The bytes all files hold now (what counts against `capacityBytes`). */
  get usedBytes(): number {
    let used = 0;
    for (const dir of this.#dirs.values())
      for (const file of dir.current.values()) used += file.current.length;
    return used;
  }

  // -- FileSystem ---------------------------------------------------------------------------

  mkdir(dir: string): Promise<void> {
    const path = normalizePath(dir);
    return this.#run("mkdir", path, 0, false, () => {
      // Durable at once: FileSystem.mkdir promises a durable directory.
      if (!this.#dirs.has(path)) this.#dirs.set(path, new SimDir());
    });
  }

  /** The names in `dir` as the process sees them (synced or not). */
  readdir(dir: string): Promise<string[]> {
    const path = normalizePath(dir);
    return this.#run("readdir", path, 0, false, () => [
      ...this.#dir(path, "scandir").current.keys(),
    ]);
  }

  readFile(path: string): Promise<Uint8Array | null> {
    const file = this.#lookup(path);
    return this.#run("readFile", path, file?.current.length ?? 0, false, () => {
      return this.#lookup(path)?.current.view().slice() ?? null;
    });
  }

  /** Reads see the page cache, like `readFile`; a read after a crash of its epoch fails. */
  async openReadable(path: string): Promise<ReadableFile | null> {
    const epoch = this.#epoch;
    const file = await this.#run("open", path, 0, false, () => this.#lookup(path) ?? null);
    if (file === null) return null;
    return {
      size: file.current.length,
      read: (position, length) =>
        this.#run(
          "readFile",
          path,
          length,
          false,
          () => file.current.view().slice(position, position + length),
          epoch,
        ),
      close: () => this.#run("close", path, 0, false, () => undefined, epoch),
    };
  }

  async openWritable(path: string, mode: "create" | "existing"): Promise<WritableFile> {
    const epoch = this.#epoch;
    const file = await this.#run("open", path, 0, mode === "create", () => {
      const { dir, name } = splitPath(path);
      const entries = this.#dir(dir, "open");
      const found = entries.current.get(name);
      if (mode === "existing") {
        if (found === undefined) throw ioError("ENOENT", "open", path);
        return found;
      }
      if (found !== undefined) {
        found.change({ kind: "truncate", size: 0 });
        return found;
      }
      const created = new SimFile();
      entries.change({ kind: "link", name, file: created });
      return created;
    });
    return this.#handle(file, path, epoch);
  }

  createExclusive(path: string, data: Uint8Array): Promise<boolean> {
    const copy = copyBytes(data);
    return this.#run("createExclusive", path, data.length, true, () => {
      const { dir, name } = splitPath(path);
      const entries = this.#dir(dir, "open");
      if (entries.current.has(name)) return false;
      const file = new SimFile();
      entries.change({ kind: "link", name, file });
      this.#write(file, path, copy, 0);
      return true;
    });
  }

  /** Replaces `to` with `from`; durable only after `syncDir`. */
  rename(from: string, to: string): Promise<void> {
    return this.#run("rename", from, 0, true, () => {
      const source = splitPath(from);
      const target = splitPath(to);
      const sourceDir = this.#dir(source.dir, "rename");
      const targetDir = this.#dir(target.dir, "rename");
      const file = sourceDir.current.get(source.name);
      if (file === undefined) throw ioError("ENOENT", "rename", from);
      if (sourceDir === targetDir) {
        sourceDir.change({ kind: "rename", from: source.name, to: target.name, file });
        return;
      }
      // Across directories each side becomes durable with its own directory's fsync.
      targetDir.change({ kind: "link", name: target.name, file });
      sourceDir.change({ kind: "unlink", name: source.name });
    });
  }

  unlink(path: string): Promise<void> {
    return this.#run("unlink", path, 0, true, () => {
      const { dir, name } = splitPath(path);
      const entries = this.#dirs.get(dir);
      if (entries?.current.has(name)) entries.change({ kind: "unlink", name });
    });
  }

  syncDir(dir: string): Promise<void> {
    const path = normalizePath(dir);
    return this.#run("syncDir", path, 0, true, (point) => {
      const entries = this.#dir(path, "fsync");
      if (this.#syncFails(point)) {
        entries.failSync();
        throw ioError("EIO", "fsync", path);
      }
      entries.sync();
    });
  }

  // -- crashes ------------------------------------------------------------------------------

  /**
   * The machine crashes now and comes back: the state becomes what a crash in `mode` leaves,
   * every handle opened before and every operation still waiting in the `io` hook fails with
   * SimCrashError, and the file system works again (a halt at `crashAtPoint` is over).
   */
  crash(mode: CrashMode = "random"): void {
    const after = this.#crashedDirs(mode);
    this.#dirs.clear();
    for (const [path, dir] of after) this.#dirs.set(path, dir);
    this.#epoch += 1;
    this.#halted = false;
    this.crashAtPoint = undefined;
    this.failSyncAtPoint = undefined;
  }

  /** A new file system holding what a crash now in `mode` would leave; this one is unchanged. */
  afterCrash(mode: CrashMode = "random", options: SimFileSystemOptions = {}): SimFileSystem {
    const after = new SimFileSystem({
      ...(this.#random === undefined ? {} : { random: this.#random }),
      capacityBytes: this.capacityBytes,
      ...options,
    });
    for (const [path, dir] of this.#crashedDirs(mode)) after.#dirs.set(path, dir);
    return after;
  }

  /** A copy of everything as it reads now, all of it durable: to damage or crash separately. */
  clone(options: SimFileSystemOptions = {}): SimFileSystem {
    return this.afterCrash("keepUnsynced", options);
  }

  /** The names in `dir` as a read sees them now, or none if there is no such directory. */
  names(dir: string): readonly string[] {
    return [...(this.#dirs.get(normalizePath(dir))?.current.keys() ?? [])];
  }

  /**
   * A sector of `path` goes bad at rest (bit rot, a misdirected or lost write found later): one
   * bit of it flips, in what the disk holds and in what a read sees (the page was evicted and read
   * back). A real disk can do this to data it acknowledged as synced, and only a checksum can
   * tell. Returns the offset of the damaged byte, or null when there is no such file or it is
   * empty. `random` draws the byte (in `within`, default the whole file) and the bit.
   */
  corruptAtRest(
    path: string,
    random: () => number,
    within?: { readonly from: number; readonly to: number },
  ): number | null {
    const file = this.#lookup(path);
    return file === undefined ? null : flipBitAtRest(file, random, within);
  }

  /** The live bytes of a file (a test may damage them), or undefined if there is none. */
  bytesOf(path: string): Uint8Array | undefined {
    return this.#lookup(path)?.current.view();
  }

  #crashedDirs(mode: CrashMode): Map<string, SimDir> {
    const random = this.#crashRandom(mode);
    return crashedDirs(this.#dirs, mode, random, this.tornGarbageProbability);
  }

  #crashRandom(mode: CrashMode): () => number {
    if (typeof mode === "object") return mode.random;
    if (mode !== "random") return () => 0;
    if (this.#random === undefined) {
      throw new ConfigError("random", "a SimFileSystem needs a seeded random() for random crashes");
    }
    return this.#random;
  }

  // -- operations ---------------------------------------------------------------------------

  #handle(file: SimFile, path: string, epoch: number): WritableFile {
    return {
      write: (data, position) => {
        const copy = copyBytes(data);
        return this.#run(
          "write",
          path,
          data.length,
          true,
          () => this.#write(file, path, copy, position),
          epoch,
        );
      },
      sync: () =>
        this.#run(
          "sync",
          path,
          0,
          true,
          (point) => {
            if (this.#syncFails(point)) {
              file.failSync();
              throw ioError("EIO", "fdatasync", path);
            }
            file.sync();
          },
          epoch,
        ),
      truncate: (size) =>
        this.#run(
          "truncate",
          path,
          0,
          true,
          () => {
            if (this.#limited && size - file.current.length > this.#freeBytes())
              throw ioError("ENOSPC", "ftruncate", path);
            file.change({ kind: "truncate", size });
          },
          epoch,
        ),
      close: () => this.#run("close", path, 0, false, () => undefined, epoch),
    };
  }

  /** Writes what fits under the capacity; ENOSPC if not all of it did (a short write). */
  #write(file: SimFile, path: string, data: Uint8Array, position: number): void {
    const growth = Math.max(0, position + data.length - file.current.length);
    const free = this.#limited ? this.#freeBytes() : Number.POSITIVE_INFINITY;
    if (growth <= free) {
      file.change({ kind: "write", position, data });
      return;
    }
    const fits = Math.max(0, file.current.length + free - position);
    if (fits > 0) file.change({ kind: "write", position, data: data.subarray(0, fits) });
    throw ioError("ENOSPC", "write", path);
  }

  /** Whether there is a capacity to check (adding up every file's size costs a walk of them). */
  get #limited(): boolean {
    return this.capacityBytes !== Number.POSITIVE_INFINITY;
  }

  #freeBytes(): number {
    return this.capacityBytes - this.usedBytes;
  }

  #syncFails(point: number): boolean {
    const fails =
      point === this.failSyncAtPoint ||
      (this.syncFailureProbability > 0 &&
        this.#crashRandom("random")() < this.syncFailureProbability);
    if (fails) this.failedSyncs += 1;
    return fails;
  }

  async #run<T>(
    kind: SimIoKind,
    path: string,
    bytes: number,
    mutates: boolean,
    effect: (point: number) => T,
    epoch = this.#epoch,
  ): Promise<T> {
    this.#checkAlive(epoch);
    let point = 0;
    if (mutates) {
      this.points += 1;
      point = this.points;
      if (point === this.crashAtPoint) {
        this.#halted = true;
        throw new SimCrashError(`crash at point ${point}`);
      }
    }
    if (this.#io !== undefined) {
      await this.#io({ kind, path, bytes });
      this.#checkAlive(epoch);
    }
    // Points are numbered when called (0 for reads); an fsync fault is matched by that number.
    return effect(point);
  }

  #checkAlive(epoch: number): void {
    if (this.#halted) throw new SimCrashError("the simulated machine has crashed");
    if (epoch !== this.#epoch)
      throw new SimCrashError("opened before a crash of the simulated machine");
  }

  #dir(path: string, syscall: string): SimDir {
    const dir = this.#dirs.get(path);
    if (dir === undefined) throw ioError("ENOENT", syscall, path);
    return dir;
  }

  #lookup(path: string): SimFile | undefined {
    const { dir, name } = splitPath(path);
    return this.#dirs.get(dir)?.current.get(name);
  }
}
