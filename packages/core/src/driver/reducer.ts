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
  init(config: ConfigInput, persisted: Persisted): State;
  step(state: State, event: Event): StepOutput<State>;
  status(state: State): Status;
  /** The commit index alone: the driver needs it after every turn, a whole Status it does not. */
  commitIndex(state: State): Index;
};

export const raftReducer = {
  init,
  step,
  status,
  commitIndex: (state) => state.commit as Index,
} satisfies Reducer<ReturnType<typeof init>>;
