import { FlotillaError } from "@flotilla/core";

/**
 * Stored bytes that fail their checksum or do not fit together (a corrupted record before the
 * tail, a missing segment, a damaged hard state or snapshot file). Never skipped silently: the
 * operator must restore this node's directory (or wipe it and let the cluster resend the state).
 */
export class StorageCorruptionError extends FlotillaError {
  constructor(
    readonly file: string,
    readonly offset: number,
    readonly reason: string,
  ) {
    super("STORAGE_CORRUPT", `corrupted storage in ${file} at byte ${offset}: ${reason}`);
  }
}

/** The directory is locked by another live process (or another FileStorage in this one). */
export class StorageLockedError extends FlotillaError {
  constructor(
    readonly dir: string,
    readonly pid: number,
  ) {
    super("STORAGE_LOCKED", `storage directory ${dir} is locked by live process ${pid}`);
  }
}

/**
 * An earlier write or fsync failed, so what is on disk is no longer known for sure (after a failed
 * fsync the kernel may have dropped the dirty pages). The storage refuses further work; close it
 * and open the directory again to recover from what is really on disk.
 */
export class StorageFailedError extends FlotillaError {
  constructor(cause: unknown) {
    super("STORAGE_FAILED", `storage failed and must be reopened: ${String(cause)}`, { cause });
  }
}
