// Group commit: every persist effect of one driver turn becomes ONE storage write. Merging must
// give exactly the stored state that writing the effects one after another would give, so the
// rules follow the order inside each effect (snapshot, truncation, entries, hard state; see
// PersistEffect) and the order of the effects:
//   - a later snapshot replaces an earlier one and drops the batch's entries it covers;
//   - a later truncation drops the batch's entries at or beyond it, and the batch truncates the
//     stored log from the lower of the two points;
//   - later entries overwrite batch entries at the same indexes (a write past the tail wins);
//   - a later hard state replaces an earlier one.

import type { PersistEffect } from "../effect.js";
import type { Entry, HardState, Snapshot } from "../entry.js";
import type { Index, Term } from "../ids.js";
import type { PersistBatch } from "../interfaces.js";
import { persistBatch } from "../persist-shape.js";

type Draft = {
  snapshot: Snapshot | undefined;
  truncateFrom: Index | undefined;
  entries: Entry[];
  hardState: HardState | undefined;
};

/** The one batch equivalent to persisting `effects` in order, or null if they change nothing. */
export function mergePersistEffects(
  effects: readonly Pick<PersistEffect, "snapshot" | "truncateFrom" | "entries" | "hardState">[],
): PersistBatch | null {
  const draft: Draft = {
    snapshot: undefined,
    truncateFrom: undefined,
    entries: [],
    hardState: undefined,
  };
  for (const effect of effects) {
    if (effect.snapshot !== undefined) mergeSnapshot(draft, effect.snapshot);
    if (effect.truncateFrom !== undefined) mergeTruncation(draft, effect.truncateFrom);
    if (effect.entries.length > 0) mergeEntries(draft, effect.entries);
    if (effect.hardState !== undefined) draft.hardState = effect.hardState;
  }
  return toBatch(draft);
}

/** The (index, term) of the last log position a batch makes durable, for the `persisted` event. */
export function lastWritten(batch: PersistBatch): { index: Index; term: Term } | null {
  const last = batch.entries.at(-1);
  if (last !== undefined) return { index: last.index, term: last.term };
  if (batch.snapshot !== undefined) {
    return { index: batch.snapshot.index, term: batch.snapshot.term };
  }
  return null;
}

function mergeSnapshot(draft: Draft, snapshot: Snapshot): void {
  draft.snapshot = snapshot;
  draft.entries = draft.entries.filter((entry) => entry.index > snapshot.index);
  // Storage refuses a truncation into the snapshot. After the snapshot only entries above its
  // index remain, so truncating from anywhere at or below it means "from just after it".
  if (draft.truncateFrom !== undefined && draft.truncateFrom <= snapshot.index) {
    draft.truncateFrom = (snapshot.index + 1) as Index;
  }
}

function mergeTruncation(draft: Draft, truncateFrom: Index): void {
  draft.entries = draft.entries.filter((entry) => entry.index < truncateFrom);
  if (draft.truncateFrom === undefined || truncateFrom < draft.truncateFrom) {
    draft.truncateFrom = truncateFrom;
  }
}

function mergeEntries(draft: Draft, entries: readonly Entry[]): void {
  const first = entries[0]!.index;
  const lastHeld = draft.entries.at(-1);
  // An append that starts inside the batch's own entries replaces them from there (the stored log
  // is unaffected: those entries were never written).
  if (lastHeld !== undefined && first <= lastHeld.index) {
    draft.entries = draft.entries.filter((entry) => entry.index < first);
  }
  for (const entry of entries) draft.entries.push(entry);
}

function toBatch(draft: Draft): PersistBatch | null {
  const { snapshot, truncateFrom, entries, hardState } = draft;
  if (
    snapshot === undefined &&
    truncateFrom === undefined &&
    entries.length === 0 &&
    hardState === undefined
  ) {
    return null;
  }
  return persistBatch(hardState, snapshot, truncateFrom, entries);
}
