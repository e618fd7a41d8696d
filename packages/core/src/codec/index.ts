// The codec's public surface; the format itself is specified in codec.ts.
export { decodeEntry, decodeMessage, encodeEntry, encodeMessage } from "./codec.js";
export { DecodeError, EncodeError } from "./errors.js";
