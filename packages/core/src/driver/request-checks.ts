// The checks every request of the application's handle makes before it reaches the inbox: the
// node must run (or be starting), and a timeout, given or the node's default, must be positive.
// Local misuse: a typed error in the returned promise, never a throw.

import { ConfigError } from "../errors.js";
import { StoppedError } from "./errors.js";
import type { NodePhase } from "./types.js";

/** A StoppedError if a node in `phase` cannot take a request (`what`: "propose", ...), else null. */
export function refusedInPhase(phase: NodePhase, what: string): StoppedError | null {
  if (phase === "running" || phase === "starting") return null;
  return new StoppedError(`cannot ${what}: the node is ${phase}`);
}

/** The timeout a request runs with (its own, else the node's default), or why it is invalid. */
export function requestTimeoutMs(
  timeoutMs: number | undefined,
  defaultMs: number | undefined,
): { readonly timeoutMs: number | undefined } | ConfigError {
  const ms = timeoutMs ?? defaultMs;
  if (ms !== undefined && !(ms > 0)) {
    return new ConfigError("timeoutMs", `must be positive, got ${ms}`);
  }
  return { timeoutMs: ms };
}
