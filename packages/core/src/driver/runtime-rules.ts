// The runtime's rules that protect data, as a seam: the shipped runtime always uses `shippedRules`;
// the simulator's planted-defect suite passes a variant with one rule broken, to prove that a
// seed search catches it (the project's rule: every rule of the driver that protects data is one
// the simulator can break and catch). Not a plug-in point for applications.

import type { PersistEffect } from "../effect.js";
import type { Index, Term } from "../ids.js";
import type { PersistBatch } from "../interfaces.js";
import { lastWritten, mergePersistEffects } from "./merge-persist.js";

export type RuntimeRules = {
  /** Group commit: the one batch equivalent to writing the turn's persist effects in order. */
  readonly merge: (effects: readonly PersistEffect[]) => PersistBatch | null;
  /** The log position a written batch makes durable: what `persisted` tells the core. */
  readonly lastWritten: (batch: PersistBatch) => { index: Index; term: Term } | null;
};

export const shippedRules: RuntimeRules = {
  merge: mergePersistEffects,
  lastWritten,
};
