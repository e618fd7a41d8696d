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
 * A write or an fsync failed (EIO and the like), so what is on disk is no longer known for sure:
 * after a failed fsync the kernel may have dropped the dirty pages while marking them clean, so
 * the storage never retries one. It refuses all further work; close it and open the directory
 * again to recover from what is really on disk. `ioCode` is the system error code, if any.
 */
export class StorageNeedsReopenError extends FlotillaError {
  readonly ioCode: string | undefined;
  constructor(cause: unknown) {
    super("STORAGE_NEEDS_REOPEN", `storage failed and must be reopened: ${String(cause)}`, {
      cause,
    });
    this.ioCode = errorCode(cause);
  }
}

/**
 * The disk is full (ENOSPC, or EDQUOT: over quota). The batch being written is not stored (what
 * was written of it is taken back); every batch acknowledged before is. The storage refuses
 * further work, as after any failed write: free space, then open the directory again.
 */
export class StorageFullError extends FlotillaError {
  constructor(
    readonly dir: string,
    cause: unknown,
  ) {
    super("STORAGE_FULL", `no space left for the storage in ${dir}: ${String(cause)}`, { cause });
  }
}

/** The typed error for an I/O failure of the storage in `dir`. */
export function storageFailure(
  dir: string,
  cause: unknown,
): StorageNeedsReopenError | StorageFullError {
  const code = errorCode(cause);
  return code === "ENOSPC" || code === "EDQUOT"
    ? new StorageFullError(dir, cause)
    : new StorageNeedsReopenError(cause);
}

function errorCode(error: unknown): string | undefined {
  const code =
    typeof error === "object" && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === "string" ? code : undefined;
}
