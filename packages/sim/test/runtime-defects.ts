import type { Index } from "@flotilla/core";
import { mergePersistEffects, type RuntimeRules, shippedRules } from "@flotilla/core/runtime";

// Planted defects of the node runtime, the layer between the core and the disk that createNode
// and the simulator share: each breaks one rule of runtime-rules.ts, the way a reviewer hunting
// for what the simulator cannot see would expect a driver to go wrong. Nothing here touches the
// shipped runtime; the simulator runs them through `RunOptions.rules`.

/**
 * Ordering of writes and sends: the messages that wait for the turn's write (votes, append
 * acknowledgements, snapshot completions) leave with the step's own messages, before the write.
 */
export const sendsBeforeWrite: RuntimeRules = {
  ...shippedRules,
  durableAfterWrite: { persisted: true, release: false },
};

/**
 * Asynchronous writes (thesis §10.2.1): the runtime tells the core a write is durable when it
 * starts it, so a leader, which steps acknowledgements while its own write is in flight, counts
 * its copy towards a commit before it is on its disk.
 */
export const persistedBeforeWrite: RuntimeRules = {
  ...shippedRules,
  durableAfterWrite: { persisted: false, release: true },
};

/**
 * Asynchronous writes: when the write in flight is durable, the runtime also releases the messages
 * of the persist effects stepped during it, which vouch for the NEXT write (acknowledgements and
 * votes one write early).
 */
export const releasesWithWriteInFlight: RuntimeRules = {
  ...shippedRules,
  releasedBy: (written, unwritten) => [...written, ...unwritten].flatMap((effect) => effect.then),
};

/**
 * Asynchronous writes: the runtime goes on stepping events and sending after a step that raised
 * the term, before that term is on the disk. A single voter wins its own election in that step
 * and leads a term a crash can still take back; back in the term before, it wins the same term
 * again and puts other entries at the indexes it used (seed 2652 of the default search).
 */
export const actsBeforeTermDurable: RuntimeRules = {
  ...shippedRules,
  actsInTerm: () => true,
};

/**
 * Restart and recovery: the runtime takes the last uncommitted entry of the loaded log for a torn
 * tail and drops it, though storage returned it intact, and the node already acknowledged it.
 */
export const recoveryDropsLastEntry: RuntimeRules = {
  ...shippedRules,
  recovered(persisted) {
    const last = persisted.entries.at(-1);
    if (last === undefined || last.index <= persisted.hardState.commit) return persisted;
    return { ...persisted, entries: persisted.entries.slice(0, -1) };
  },
};

/**
 * Snapshots on disk: the snapshot the runtime hands the core (and storage) claims one index less
 * than its data holds, so whoever restores it (this node after a restart, a follower installing
 * it) applies that entry a second time.
 */
export const snapshotIndexBehindData: RuntimeRules = {
  ...shippedRules,
  snapshotIndex: (appliedIndex) => (appliedIndex - 1) as Index,
};

/**
 * Group commit: when a turn truncates the log (a follower drops a conflicting suffix) and then
 * appends, the merged batch carries the new entries but forgets the truncation point.
 */
export const mergeLosesTruncation: RuntimeRules = {
  ...shippedRules,
  merge(effects) {
    const batch = mergePersistEffects(effects);
    if (batch === null || batch.truncateFrom === undefined || batch.entries.length === 0) {
      return batch;
    }
    const { truncateFrom: _dropped, ...rest } = batch;
    return rest;
  },
};

/** Restart: the runtime reads the hard state back but loses the vote (it reads the term only). */
export const recoveryForgetsVote: RuntimeRules = {
  ...shippedRules,
  recovered: (persisted) => ({ ...persisted, hardState: { ...persisted.hardState, vote: null } }),
};

export const runtimeDefects = {
  actsBeforeTermDurable,
  mergeLosesTruncation,
  persistedBeforeWrite,
  releasesWithWriteInFlight,
  recoveryForgetsVote,
  sendsBeforeWrite,
  recoveryDropsLastEntry,
  snapshotIndexBehindData,
} as const;

export type RuntimeDefectName = keyof typeof runtimeDefects;
