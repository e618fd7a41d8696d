import { FlotillaError } from "@flotilla/core";

/** A key-value command could not be decoded: the bytes were not written by `encodeKvCommand`. */
export class KvCommandError extends FlotillaError {
  constructor(message: string) {
    super("KV_COMMAND", message);
  }
}
