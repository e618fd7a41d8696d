import { type FileStorageRules, shippedStorageRules } from "@flotilla/storage-file";
import type { ShellRules } from "../src/node-turns.js";

// The two rules that keep a node's storage calls from running into each other, each planted
// alone: FileStorage serves its queued calls one at a time (`#enqueue`), and the driver never has
// two of them outstanding (one write in flight; a chunk write only between writes, and the turn
// waits for it). Either alone keeps the calls apart, so a search finds only the two together.

/** FileStorage starts every call at once, whatever is still running (no `#enqueue` queue). */
export const unserializedFileStorage: FileStorageRules = {
  ...shippedStorageRules,
  serializesCalls: false,
};

/**
 * The turn hands a snapshot chunk write to storage and goes on without waiting for it, as it
 * does for its write: the write that installs the snapshot is then called while the last chunk
 * is still being written.
 */
export const chunkWriteNotAwaited: ShellRules = { awaitsChunkWrites: false };
