import {
  type ConfigInput,
  type Effect,
  type Event,
  init,
  type Message,
  type Persisted,
  type RaftState,
  type Status,
  status,
  step,
} from "@flotilla/core";

/**
 * The reducer the simulator drives: `init`, `step` (and `status`) with the shapes of @flotilla/core's. It
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
  /**
   * What a state says about itself, like core's `status`: the operator's `promoteWhenCaughtUp`
   * reads the leader's progress through it. Core's own when absent (`statusOf`).
   */
  readonly status?: (state: S) => Status;
};

/** @flotilla/core's own reducer: the default. */
export const flotillaCore: RaftCore<RaftState> = { init, step, status };

/**
 * The status function of `core`: its own, or core's. NB: a variant without one must keep core's
 * state record, as every planted defect does (each wraps core's `step`); one that keeps a state of
 * its own must bring its `status`.
 */
export function statusOf<S>(core: RaftCore<S>): (state: S) => Status {
  return core.status ?? (status as unknown as (state: S) => Status);
}
