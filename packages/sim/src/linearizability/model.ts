/**
 * A sequential specification for the checker. `step` returns the state after applying `input`
 * when `output` is a possible result of it in `state`, or `undefined` when it is not. An
 * `output` of `undefined` means the outcome is unknown (the operation is indeterminate): any
 * result is acceptable, only the effect on the state matters. States must be immutable values,
 * never `undefined`; `key` gives a canonical string for each (equal states, equal keys), used
 * to memoise the search.
 */
export type Model<State, Input, Output> = {
  readonly init: State;
  /**
   * The state after `input` if `output` is a possible result of it in `state`; `undefined` if not.
   */
  step(state: State, input: Input, output: Output | undefined): State | undefined;
  /** A canonical string for `state` (equal states, equal keys), to memoise the search. */
  key(state: State): string;
};
