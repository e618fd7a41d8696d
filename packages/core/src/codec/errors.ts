import { FlotillaError } from "../errors.js";

/**
 * Bytes from the wire (or a log record) are not a valid encoding. A remote peer's fault: transports
 * drop and count the datagram, storage reports the record; nothing else ever escapes a decode.
 * `path` names the field (e.g. `appendEntries.entries[3].data`), `offset` the byte where the
 * problem was found, `reason` what was wrong.
 */
export class DecodeError extends FlotillaError {
  readonly offset: number;
  readonly reason: string;
  readonly path: string;
  constructor(path: string, offset: number, reason: string) {
    super("DECODE", `${path}: ${reason} at offset ${offset}`);
    this.path = path;
    this.offset = offset;
    this.reason = reason;
  }
}

/**
 * A message handed to the encoder cannot be encoded (a negative term, a lone UTF-16 surrogate in a
 * node id, an unknown type): local misuse, so it throws. `path` names the offending field.
 */
export class EncodeError extends FlotillaError {
  readonly path: string;
  readonly reason: string;
  constructor(path: string, reason: string) {
    super("ENCODE", `${path}: ${reason}`);
    this.path = path;
    this.reason = reason;
  }
}
