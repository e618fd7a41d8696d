import {
  type ConfigInput,
  type Effect,
  type Event,
  init,
  type Message,
  type Persisted,
  type RaftState,
  step,
} from "@flotilla/core";

/**
 * The reducer the simulator drives: `init` and `step` with the shapes of @flotilla/core's. It
 * is a parameter so tests can plant a defect by wrapping `step` (rewriting its output) or by
 * passing a variant they built, without any flag in the shipped core. `S` is whatever state the
 * variant keeps; the simulator never looks inside it.
 */
export type RaftCore<S> = {
  /** The state at start, like core's `init`. */
  readonly init: (config: ConfigInput, persisted: Persisted) => S;
  /** One event in, the next state and its outputs out, like core's `step`. */
  readonly step: (
    state: S,
    event: Event,
  ) => {
    readonly state: S;
    readonly messages: readonly Message[];
    readonly effects: readonly Effect[];
  };
};

/** @flotilla/core's own reducer: the default. */
export const flotillaCore: RaftCore<RaftState> = { init, step };
