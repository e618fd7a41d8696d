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

/** `load` or `persist` was called after `close`. */
export class StorageClosedError extends FlotillaError {
  constructor() {
    super("STORAGE_CLOSED", "storage is closed");
  }
}
