// The reducer as users see it: a node's state is an opaque value they keep, step and read through
// `status`, never by its fields. The fields are the core's to change between releases (the
// tracker, the read queue and the snapshot transfer all changed shape within one minor version);
// keeping them out of the public type means such a change breaks no user's build.
//
// The simulator, the driver and the tests need the fields: they use the same functions typed on
// the full record from `@flotilla/core/runtime` (`RaftStateInternals`), and `internals()` turns
// an opaque state into that record. Both views are the very same object: no copy at the boundary.

import type { Config, ConfigInput } from "./config.js";
import type { Effect } from "./effect.js";
import type { Persisted } from "./entry.js";
import type { Event } from "./event.js";
import { init as initInternals } from "./init.js";
import type { Message } from "./message.js";
import type { RaftState as RaftStateInternals } from "./state.js";
import { type Status, status as statusOfInternals } from "./status.js";
import { step as stepInternals } from "./step.js";

declare const opaqueBrand: unique symbol;

/**
 * A node's whole state: an immutable value. Create one with `init`, advance it with `step`, read
 * it with `status`. Its fields are internal; an old state stays valid and can be stepped again.
 */
export interface RaftState {
  readonly [opaqueBrand]: "RaftState";
}

/**
 * What one `step` produced: the next state, the messages that may be sent now, and the effects
 * the caller must honour in order (docs/embedding-the-reducer.md).
 */
export type StepResult = {
  readonly state: RaftState;
  /** May be sent at once, even while this step's persist effect is being written (§10.2.1). */
  readonly messages: readonly Message[];
  readonly effects: readonly Effect[];
};

/** The full record behind an opaque state (for the simulator, the driver and tests). */
export function internals(state: RaftState): RaftStateInternals {
  return state as unknown as RaftStateInternals;
}

function opaque(state: RaftStateInternals): RaftState {
  return state as unknown as RaftState;
}

/**
 * A node as it starts: a follower with no known leader, its term, vote, commit, snapshot and log
 * from what storage persisted (or empty).
 */
export function init(config: ConfigInput | Config, persisted?: Persisted): RaftState {
  return opaque(initInternals(config, persisted));
}

/**
 * The reducer: the node's next state and its outputs for one event. Pure and deterministic: the
 * same state and event always give the same result, and `state` stays valid (it can be stepped
 * again).
 */
export function step(state: RaftState, event: Event): StepResult {
  const result = stepInternals(internals(state), event);
  return { state: opaque(result.state), messages: result.messages, effects: result.effects };
}

/** What a node's state says about it: role, term, leader, log indexes, peers' progress. */
export function status(state: RaftState): Status {
  return statusOfInternals(internals(state));
}
