import type { ConfigInput } from "../config.js";
import type { Effect } from "../effect.js";
import type { Persisted } from "../entry.js";
import type { Event } from "../event.js";
import type { Index } from "../ids.js";
import { init } from "../init.js";
import type { Message } from "../message.js";
import { type Status, status } from "../status.js";
import { step } from "../step.js";

/** One step of the core: the next state, messages safe to send now, and effects in order. */
export type StepOutput<State> = {
  readonly state: State;
  readonly messages: readonly Message[];
  readonly effects: readonly Effect[];
};

/**
 * The pure core as the driver sees it (DESIGN.md, "The reducer"). A seam, not a plug-in point:
 * `createNode` always uses the real one; tests wrap it to inject failures.
 */
export type Reducer<State> = {
  /** The state at start, from the configuration and what storage loaded. */
  init(config: ConfigInput, persisted: Persisted): State;
  /** One event in, the next state and its outputs out (see `step`). */
  step(state: State, event: Event): StepOutput<State>;
  /** What the state says about itself (see `status`). */
  status(state: State): Status;
  /** The commit index alone: the driver needs it after every turn, a whole Status it does not. */
  commitIndex(state: State): Index;
};

/** @flotilla/core's reducer (`init`, `step`, `status`) as a `Reducer`: what `createNode` runs. */
export const raftReducer = {
  /** `init` of @flotilla/core. */
  init,
  /** `step` of @flotilla/core. */
  step,
  /** `status` of @flotilla/core. */
  status,
  /** The state's commit index. */
  commitIndex: (state) => state.commit as Index,
} satisfies Reducer<ReturnType<typeof init>>;
