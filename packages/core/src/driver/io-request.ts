// What the runtime asks of the world during a turn, and what the world answers. The runtime is
// synchronous and does no I/O: a turn is a generator that yields these requests in the order the
// effects contract demands (effect.ts) and is resumed with each completion. `createNode` performs
// them with the application's Storage, Transport and StateMachine; the simulator with its own
// network, disk and state machine, in virtual time.

import type { Entry, Snapshot } from "../entry.js";
import type { Index } from "../ids.js";
import type { PersistBatch } from "../interfaces.js";
import type { Message } from "../message.js";

/** One piece of I/O a turn asks of its shell; the turn resumes with the matching `IoCompletion`. */
export type IoRequest =
  /** Hand these to the transport now (fire and forget). Resume with nothing. */
  | { readonly type: "send"; readonly messages: readonly Message[] }
  /** Make this batch durable (one write: group commit). Resume once it is. */
  | { readonly type: "write"; readonly batch: PersistBatch }
  /**
   * Apply these committed entries to the state machine, in order (only commands reach the
   * application; noop and membership entries are the core's). Resume with one result per entry
   * (`undefined` for the others).
   */
  | { readonly type: "apply"; readonly entries: readonly Entry[] }
  /** Replace the state machine's state with this snapshot's. Resume with nothing. */
  | { readonly type: "restore"; readonly snapshot: Snapshot }
  /** Serialise the state machine as of `index` (the last applied). Resume with the bytes. */
  | { readonly type: "takeSnapshot"; readonly index: Index };

/** The `type` of every `IoRequest` variant. */
export type IoRequestType = IoRequest["type"];

/** What a turn's generator is resumed with: see each request. */
export type IoCompletion<Result> = undefined | readonly (Result | undefined)[] | Uint8Array;
