import { FlotillaError } from "./errors.js";

/**
 * A persist batch that no storage may accept: local misuse by the caller (normally the node
 * driver), never a disk problem. Storage is left unchanged when it throws this.
 */
export class InvalidPersistError extends FlotillaError {
  constructor(message: string) {
    super("INVALID_PERSIST", message);
  }
}

/**
 * `readSnapshotChunk` found the bytes of a stored snapshot damaged (they fail the check they were
 * stored with) and set them aside: storage no longer holds that snapshot. Never bytes to send; the
 * driver takes a fresh snapshot from the state machine instead and goes on.
 */
export class SnapshotDamagedError extends FlotillaError {
  readonly snapshotIndex: number;
  constructor(snapshotIndex: number, detail: string) {
    super("SNAPSHOT_DAMAGED", `the bytes of snapshot ${snapshotIndex} are damaged: ${detail}`);
    this.snapshotIndex = snapshotIndex;
  }
}

/** `load` or `persist` was called after `close`. */
export class StorageClosedError extends FlotillaError {
  constructor() {
    super("STORAGE_CLOSED", "storage is closed");
  }
}
