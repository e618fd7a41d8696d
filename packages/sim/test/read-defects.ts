import type { Effect, Index } from "@flotilla/core";
import {
  init,
  type RaftStateInternals,
  type RuntimeRules,
  shippedRules,
  step,
} from "@flotilla/core/runtime";
import type { RaftCore } from "../src/raft-core.js";

// Planted defects of linearizable reads (thesis §6.4), each breaking one rule of the core's
// read-index.ts through the simulator's `core` seam (a wrapper around the real reducer), or of
// the driver's batching of reads through the runtime's `rules`. planted-read-defects.test.ts
// proves a bounded seed search finds the quorum-round, no-op and batching defects;
// planted-lease-defects.test.ts the two lease defects, under process faults inside the lease's
// drift bound (process-faults.ts), and leaseReadJoinsAcrossTicks, under slow applies with
// occasional readers; reads.test.ts in core proves that rule too.

/**
 * §6.4 step 3 skipped: a leader serves a read at its commit index at once, without a round of
 * heartbeats answered by a quorum. A deposed leader that has not heard of its successor then
 * serves stale values.
 */
export const readsWithoutQuorumRound: RaftCore<RaftStateInternals> = {
  init,
  step(state, event) {
    const leads = state.role === "leader" && state.log.term(state.commit) === state.term;
    if (event.type !== "read" || !leads) return step(state, event);
    const ready: Effect = { type: "readReady", id: event.id, index: state.commit as Index };
    return { state, messages: [], effects: [ready] };
  },
};

/**
 * §6.4.1 with a lease longer than the election timeout: the lease ignores clock drift
 * (`leaseClockDriftTicks` 0 whatever the skew), so with clocks up to 50% off a slow leader's
 * lease of electionTimeoutTicks - 2 of its ticks outlasts a fast follower's election timeout,
 * and a new leader can commit writes while the old one still serves lease reads.
 */
export const leaseLongerThanElectionTimeout: RaftCore<RaftStateInternals> = {
  init: (config, persisted) => init({ ...config, leaseClockDriftTicks: 0 }, persisted),
  step,
};

/**
 * §6.4 step 1 skipped: a new leader records its commit index as a read index before an entry of
 * its own term has committed, so the index may lag what the previous leader committed and
 * acknowledged.
 */
export const readsBeforeNoopCommits: RaftCore<RaftStateInternals> = {
  init,
  step(state, event) {
    const result = step(state, event);
    const s = result.state;
    const waiting = s.reads.awaitingTermCommit;
    if (s.role !== "leader" || waiting.length === 0 || s.leaderState === null) return result;
    const seq = s.leaderState.seq;
    const recorded = waiting.map((read) => ({ ...read, index: s.commit, afterSeq: seq }));
    const confirming = [...s.reads.confirming, ...recorded];
    const reads = { ...s.reads, awaitingTermCommit: [], confirming };
    return { ...result, state: { ...s, reads } };
  },
};

/**
 * §6.4.1 with §3.10: a leader keeps its lease after sending TimeoutNow. The target's vote
 * requests carry the transfer flag, which voters grant inside their vote lease, so the target can
 * win and commit writes while the old leader, not yet told (its messages lost or cut off), still
 * serves lease reads.
 */
export const leaseKeptAfterTimeoutNow: RaftCore<RaftStateInternals> = {
  init,
  step(state, event) {
    const result = step(state, event);
    const s = result.state;
    if (!s.reads.leaseRevoked) return result;
    return { ...result, state: { ...s, reads: { ...s.reads, leaseRevoked: false } } };
  },
};

/**
 * §6.4 step 3 with batching: a read joins the core read of its kind still waiting for its quorum
 * round, though the core recorded that read (and the seq its round must follow) before this one
 * arrived. A round already in flight confirms leadership at its start, not at the new read's: a
 * deposed leader whose round was answered just before the election serves the new read without
 * the write its successor acknowledged meanwhile. Planted through the runtime's `readJoins` rule
 * (the driver's ReadRegistry), not the core.
 */
export const readJoinsRoundInFlight: RuntimeRules = {
  ...shippedRules,
  readJoins: () => true,
};

/**
 * §6.4.1 with batching: a lease read joins the lease core read still in the inbox although ticks
 * were queued behind that event since (an apply that stalls the turn, a process paused whose
 * overdue timer fired first). The core checks the lease when it steps the event, before those ticks, so the
 * time that passed before the new read arrived is not counted: a leader whose lease ran out
 * meanwhile, while another leader was elected and acknowledged writes, serves the new read.
 * Planted through the runtime's `readJoins` rule, which then ignores the ticks queued.
 */
export const leaseReadJoinsAcrossTicks: RuntimeRules = {
  ...shippedRules,
  readJoins: (_consistency, queued, now) => queued.generation === now.generation,
};

/**
 * Rule 7 broken: every life of a node numbers its forwarded reads from 1, as if the seed of each
 * start were the same. A follower that crashes with a read forwarded and restarts before the
 * leader's answer arrives takes that answer, a read index chosen before it came back, for the
 * first read of its new life; a write acknowledged in between is missing from what it serves.
 */
export const forwardedReadsNumberedFromOne: RaftCore<RaftStateInternals> = {
  init(config, persisted) {
    const state = init(config, persisted);
    return { ...state, reads: { ...state.reads, nextRequestId: 1 } };
  },
  step,
};

export const readDefects = {
  readsWithoutQuorumRound,
  leaseLongerThanElectionTimeout,
  leaseKeptAfterTimeoutNow,
  readsBeforeNoopCommits,
  forwardedReadsNumberedFromOne,
} as const;

export type ReadDefectName = keyof typeof readDefects;
