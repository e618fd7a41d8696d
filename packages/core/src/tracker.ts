import type { Membership } from "./entry.js";
import type { NodeId } from "./ids.js";
import type { Progress } from "./progress.js";
import { initialProgress, withProgress } from "./progress.js";
import { isVoter, members } from "./quorum.js";
import type { Draft, RaftState } from "./state.js";

// What a leader tracks of its followers, split the way etcd raft splits tracker/, quorum/ and
// confchange/:
//
// - the configuration: `RaftState.membership` (voters, outgoing voters while joint, learners), the
//   latest in the log (thesis §4.1; membership-log.ts follows it through appends, truncations and
//   snapshots). It is the only place that says who votes: quorum.ts decides every majority from it.
// - the progress: one record per member but the leader, keyed by node id (progress.ts says what a
//   record means). This file keeps the records in step with the configuration.
// - confchange.ts: what a change request turns the configuration into; membership-change.ts: when
//   the leader may append it and how it follows it through.
//
// The map is copy-on-write: a step that changes a record builds a new map and leaves the old one
// to the previous state, so states stay immutable values that replay. Followers are few (a
// handful), so one copy per step is cheap; but a step often changes several records (a heartbeat
// or a flush sends to every follower), so the step's later changes go into the copy it already
// made (`ownedProgress`), which no state returned so far can hold (issue #15: a copy per record
// was a tenth of the reducer's allocation in the simulator's fast-forward).

/** What only a leader keeps. */
export type LeaderState = {
  /**
   * One record per member of the configuration in force but the leader itself, in the order of
   * `members` (voters, outgoing voters, learners: the order messages go out in).
   * Invariant: the keys are exactly members(membership) minus the leader; a record's isLearner
   * says whether its node is a learner there.
   */
  readonly progress: ReadonlyMap<NodeId, Progress>;
  /** The seq of the last AppendEntries sent in this term; it only rises. */
  readonly seq: number;
};

/** The leader's state; only the leader's code calls this. */
export function leaderOf(s: RaftState): LeaderState {
  const ls = s.leaderState;
  if (ls === null) throw new Error("invariant: only a leader tracks progress");
  return ls;
}

/** The record of a tracked peer. */
export function progressOf(ls: LeaderState, id: NodeId): Progress {
  const pr = ls.progress.get(id);
  if (pr === undefined) throw new Error(`invariant: ${id} is tracked`);
  return pr;
}

/**
 * The progress map built for the draft `owner` in the step under way: only that draft holds it,
 * and a draft is stepped on by one step only (step.ts copies the state it starts from), so that
 * step may change the map in place. Steps are synchronous, so one owner at a time suffices; the
 * next step's draft is another object, and copies the map again before changing it.
 */
let owner: Draft | null = null;
let ownedProgress: Map<NodeId, Progress> | null = null;

/** The draft's progress map, made its own (copied once per step) so that it can be changed. */
function progressToChange(s: Draft, ls: LeaderState): Map<NodeId, Progress> {
  if (owner === s && ls.progress === ownedProgress) return ownedProgress;
  // forEach, not `new Map(iterable)`, which builds an iterator result per record.
  const progress = new Map<NodeId, Progress>();
  ls.progress.forEach((pr, id) => {
    progress.set(id, pr);
  });
  owner = s;
  ownedProgress = progress;
  return progress;
}

/** Replaces the record of `id` (and the seq, when a message left). */
export function setProgress(s: Draft, id: NodeId, pr: Progress, seq?: number): void {
  const ls = leaderOf(s);
  const progress = progressToChange(s, ls);
  progress.set(id, pr);
  s.leaderState = { progress, seq: seq ?? ls.seq };
}

/** Every tracked record passed through `update` (the records it returns unchanged are kept). */
export function updateEveryProgress(s: Draft, update: (pr: Progress) => Progress): void {
  const ls = leaderOf(s);
  const progress = progressToChange(s, ls);
  for (const [id, pr] of progress) progress.set(id, update(pr));
  s.leaderState = { progress, seq: ls.seq };
}

/**
 * The records for `membership` as seen by leader `self`: kept for members already tracked in
 * `known` (their learner flag updated), fresh for the others (probing from `next`, their first
 * AppendEntries expected after `seq`). Members who left are dropped.
 */
export function trackConfiguration(
  membership: Membership,
  self: NodeId,
  known: ReadonlyMap<NodeId, Progress>,
  next: number,
  seq: number,
): ReadonlyMap<NodeId, Progress> {
  const progress = new Map<NodeId, Progress>();
  for (const id of members(membership)) {
    if (id === self) continue;
    // A voter demoted in a joint change still votes in the outgoing half until it is left.
    const isLearner = !isVoter(membership, id);
    const pr = known.get(id);
    if (pr === undefined) progress.set(id, initialProgress(next, seq, isLearner));
    else progress.set(id, pr.isLearner === isLearner ? pr : withProgress(pr, { isLearner }));
  }
  return progress;
}

/** What `id` is known to hold (0 for a node this leader does not track). */
export function matchOf(ls: LeaderState, id: NodeId): number {
  return ls.progress.get(id)?.match ?? 0;
}
