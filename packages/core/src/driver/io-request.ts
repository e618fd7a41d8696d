// What the runtime asks of the world during a turn, and what the world answers. The runtime is
// synchronous and does no I/O: a turn is a generator that yields these requests in the order the
// effects contract demands (effect.ts) and is resumed with each completion. `createNode` performs
// them with the application's Storage, Transport and StateMachine; the simulator with its own
// network, disk and state machine, in virtual time.

import type { Effect } from "../effect.js";
import type { Entry, Snapshot } from "../entry.js";
import type { Index } from "../ids.js";
import type { PersistBatch } from "../interfaces.js";
import type { Message } from "../message.js";

/** One piece of I/O a turn asks of its shell; the turn resumes with the matching `IoCompletion`. */
export type IoRequest =
  /** Hand these to the transport now (fire and forget). Resume with nothing. */
  | { readonly type: "send"; readonly messages: readonly Message[] }
  /**
   * Start making this batch durable (one write: group commit) and resume at once: the node goes
   * on stepping events meanwhile (write-pipeline.ts). Call `NodeRuntime.written()` once it is
   * durable, then run a turn. The runtime hands over one write at a time.
   */
  | { readonly type: "write"; readonly batch: PersistBatch }
  /**
   * Apply these committed entries to the state machine, in order (only commands reach the
   * application; noop and membership entries are the core's). Resume with one result per entry
   * (`undefined` for the others).
   */
  | { readonly type: "apply"; readonly entries: readonly Entry[] }
  /**
   * Replace the state machine's state with this stored snapshot's, streamed from storage
   * (`Storage.readSnapshot`). Resume once restored.
   */
  | { readonly type: "restore"; readonly snapshot: Snapshot }
  /**
   * Capture the state machine as of `index` (the last applied): resume as soon as the capture is
   * made (`StateMachine.snapshot()` returned), then, in the background, stream its bytes into
   * storage (`Storage.writeSnapshot(index, ...)`) and enqueue `{ type: "snapshot", index, size,
   * checksum }` once they are durable. Applies go on meanwhile.
   */
  | { readonly type: "takeSnapshot"; readonly index: Index }
  /**
   * Read `length` bytes at `offset` of the stored `snapshot` in the background
   * (`Storage.readSnapshotChunk`) and enqueue `{ type: "snapshotChunkRead", to, snapshotIndex,
   * snapshotTerm, offset, data }` with them. Resume at once: nothing waits for the read.
   */
  | Extract<Effect, { type: "readSnapshotChunk" }>
  /**
   * Store this chunk of a snapshot being received (`Storage.writeSnapshotChunk`). Resume once
   * stored (it need not be durable: the turn's write that installs the snapshot makes it so).
   */
  | Extract<Effect, { type: "writeSnapshotChunk" }>;

/** The `type` of every `IoRequest` variant. */
export type IoRequestType = IoRequest["type"];

/** What a turn's generator is resumed with: see each request. */
export type IoCompletion<Result> = undefined | readonly (Result | undefined)[];
