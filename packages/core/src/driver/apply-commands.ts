// Applying committed entries to the application's state machine, in order: commands only (noop
// and membership entries are the core's business and count as applied all the same). Awaits the
// state machine only when it returns a promise, so a synchronous one costs a turn no extra jobs.

import type { Entry } from "../entry.js";
import type { StateMachine } from "../interfaces.js";
import { StateMachineFailedError } from "./errors.js";

/** One result per entry (`undefined` for noop and membership entries), or a promise of them. */
export function applyCommands<Result>(
  stateMachine: StateMachine<Result>,
  entries: readonly Entry[],
): readonly (Result | undefined)[] | Promise<readonly (Result | undefined)[]> {
  const results: (Result | undefined)[] = [];
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i] as Entry;
    if (entry.kind !== "command") {
      results.push(undefined);
      continue;
    }
    let returned: Result | Promise<Result>;
    try {
      returned = stateMachine.apply(entry.data, entry.index);
    } catch (error) {
      throw new StateMachineFailedError("apply", error);
    }
    if (isPromiseLike(returned)) return applyRest(stateMachine, entries, i, returned, results);
    results.push(returned);
  }
  return results;
}

async function applyRest<Result>(
  stateMachine: StateMachine<Result>,
  entries: readonly Entry[],
  from: number,
  first: PromiseLike<Result>,
  results: (Result | undefined)[],
): Promise<readonly (Result | undefined)[]> {
  try {
    results.push(await first);
    for (let i = from + 1; i < entries.length; i++) {
      const entry = entries[i] as Entry;
      if (entry.kind !== "command") results.push(undefined);
      else results.push(await stateMachine.apply(entry.data, entry.index));
    }
  } catch (error) {
    throw error instanceof StateMachineFailedError
      ? error
      : new StateMachineFailedError("apply", error);
  }
  return results;
}

/** Whether `value` is a promise (or any thenable): only then is it awaited. */
export function isPromiseLike<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { then?: unknown }).then === "function"
  );
}
