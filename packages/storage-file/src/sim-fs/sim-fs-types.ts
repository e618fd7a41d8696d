// The vocabulary of SimFileSystem (sim-file-system.ts): the operations its `io` hook sees, what a
// crash keeps, how one is made, and the error of a crashed machine.

import { FlotillaError } from "@flotilla/core";

/** Every kind of operation a `SimFileSystem` performs, as its `io` hook sees them. */
export type SimIoKind =
  | "mkdir"
  | "readdir"
  | "readFile"
  | "open"
  | "write"
  | "sync"
  | "truncate"
  | "close"
  | "createExclusive"
  | "rename"
  | "unlink"
  | "syncDir";

/** One operation, as the `io` hook sees it: `bytes` is what it reads or writes (0 for others). */
export type SimIoOp = { readonly kind: SimIoKind; readonly path: string; readonly bytes: number };

/**
 * What survives a crash: nothing unsynced, everything unsynced (a process crash: the kernel's
 * page cache lives on), or random prefixes with torn last writes (power loss), drawn from the
 * file system's own `random` or from the one given.
 */
export type CrashMode =
  | "loseUnsynced"
  | "keepUnsynced"
  | "random"
  | {
      /** Random prefixes and torn writes drawn from this source instead of the file system's. */
      readonly random: () => number;
    };

/** How a `SimFileSystem` is made: its random source, an I/O hook, capacity and fsync failures. */
export type SimFileSystemOptions = {
  /** The seeded source of every random choice (crash outcomes, random fsync failures). */
  readonly random?: () => number;
  /** Awaited before every operation takes effect, e.g. to delay it in virtual time. */
  readonly io?: (op: SimIoOp) => Promise<void>;
  /** Total bytes the files may hold; default unlimited. */
  readonly capacityBytes?: number;
  /** The chance that any one fsync (of a file or a directory) fails with EIO; default 0. */
  readonly syncFailureProbability?: number;
  /**
   * The chance that a write a crash tears leaves garbage after the tear: the sector being written
   * when the power failed is scrambled (up to 512 random bytes where the rest of the write was to
   * go), rather than the clean cut that keeps the old content there; default 0.
   */
  readonly tornGarbageProbability?: number;
};

/** Thrown by every call once the simulated machine has crashed (and by stale handles after). */
export class SimCrashError extends FlotillaError {
  constructor(message: string) {
    super("SIM_CRASHED", message);
  }
}
