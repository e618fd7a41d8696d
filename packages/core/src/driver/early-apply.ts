// Applying while writes are pending. A write can hold newer entries while older committed ones
// wait to be applied; under a steady stream, applying only after each write made every committed
// entry wait for the fsync of the NEXT entries. Raft asks only that what is applied be committed
// (Figure 2: commitIndex and lastApplied are volatile state; the commit index need not be durable
// first), and etcd applies committed entries beside its WAL write. A committed entry is on a
// majority's disks, so no crash of this node undoes it: a node that loses it in a crash gets it
// again from the leader, and its state machine starts over from its snapshot and log anyway.
//
// So an entry is applied once committed and on this node's disk OR in the write in flight (not
// about to be cut by a pending truncation), not after that write is durable too. A leader commits
// an entry its own write still holds once both followers of three hold it (thesis §10.2.1); three
// nodes on one disk flush one after another, and waiting for the leader's own copy made a client
// wait for the last of the three flushes whenever the leader's came last (issue #10, bench kv at
// one client). Entries not yet handed to storage still wait: a snapshot taken at an applied index
// is then always written after the entries it covers. A restore waits for the write that installs
// its snapshot (held-work.ts). The simulator found no violation with every apply run before its
// write (planted-runtime-defects.test.ts): this order is not what keeps data safe.

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
 * How many of the turn's leading applies may run now: apply effects whose entries are all at or
 * below `stable` (durable or being written), stopping at the first restore or later entry.
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
