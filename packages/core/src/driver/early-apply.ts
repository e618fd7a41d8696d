// Applying while writes are pending. A write can hold newer entries while older committed ones
// wait to be applied; under a steady stream, applying only after each write made every committed
// entry wait for the fsync of the NEXT entries. Raft asks only that what is applied be committed
// (Figure 2: commitIndex and lastApplied are volatile state; the commit index need not be durable
// first), and etcd applies committed entries beside its WAL write. We stay stricter: only entries
// already durable on this node's own disk are applied (written by an earlier write, and not about
// to be cut by a pending truncation), so the state machine never runs ahead of the local log; a
// restore waits for the write that installs its snapshot (held-work.ts).

import type { Index } from "../ids.js";
import type { PersistBatch } from "../interfaces.js";
import type { ApplyEffect, RestoreEffect } from "./turn-work.js";

/**
 * The last log index whose entry is on this node's disk and stays there while `batch` is being
 * written: what an earlier write left (`durable`), cut below the batch's truncation point.
 */
export function stableWhileWriting(durable: Index, batch: PersistBatch): Index {
  if (batch.truncateFrom === undefined) return durable;
  return Math.min(durable, batch.truncateFrom - 1) as Index;
}

/** The last log index durable once `batch` is written, `durable` being the index before it. */
export function durableAfterWrite(durable: Index, batch: PersistBatch): Index {
  let index = stableWhileWriting(durable, batch);
  if (batch.snapshot !== undefined && batch.snapshot.index > index) index = batch.snapshot.index;
  const last = batch.entries.at(-1);
  return last === undefined ? index : last.index;
}

/**
 * How many of the turn's leading applies may run before its write: apply effects whose entries are
 * all at or below `stable` (durable already), stopping at the first restore or later entry.
 */
export function appliesReady(
  applies: readonly (ApplyEffect | RestoreEffect)[],
  stable: Index,
): number {
  let count = 0;
  for (; count < applies.length; count++) {
    const effect = applies[count]!;
    if (effect.type !== "apply") break;
    const last = effect.entries.at(-1);
    if (last !== undefined && last.index > stable) break;
  }
  return count;
}
