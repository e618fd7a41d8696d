import type { Effect } from "../effect.js";
import type { Entry, Snapshot } from "../entry.js";
import type { MembershipLog } from "../membership-log.js";
import type { Message } from "../message.js";
import type { Draft, RaftState } from "../state.js";
import { copyState } from "../state.js";

/**
 * Everything one step builds: the next state (a shallow copy whose fields the step reassigns)
 * and its outputs, kept apart by when they may leave. `held` messages promise something durable
 * (a vote, an append acknowledgement, or merely a term not yet on disk) and always ride in a
 * persist effect's `then` (Raft paper Figure 2: "respond after persisting"; thesis §3.8), even
 * when this step writes nothing: what they vouch for may be an earlier step's write still in
 * flight. `messages` may leave at once: a leader's AppendEntries while it writes its own log
 * (thesis §10.2.1), pre-vote traffic (it changes no durable state).
 */
export type Ctx = {
  readonly s: Draft;
  readonly messages: Message[];
  readonly held: Message[];
  readonly notes: Effect[];
  /** The lowest log index this step changed (appended or truncated); Infinity if none. */
  dirtyFrom: number;
  /** The log's last index when the step began, to tell truncation from appending. */
  readonly startLast: number;
  /** A snapshot to persist (taken here, or received from the leader). */
  snapshot: Snapshot | null;
  /** A received snapshot the state machine must load before anything after it is applied. */
  restore: Snapshot | null;
  /**
   * Snapshot chunks to read (leader) or store (follower): effects placed before the persist
   * effect, since a persist that installs a received snapshot makes its stored chunks durable.
   */
  readonly snapshotIo: Effect[];
  /** Set when the input is bad remote data: the step then returns the old state unchanged. */
  dropReason: string | null;
};

export function newContext(state: RaftState): Ctx {
  return {
    s: copyState(state),
    messages: [],
    held: [],
    notes: [],
    dirtyFrom: Number.POSITIVE_INFINITY,
    startLast: state.log.lastIndex,
    snapshot: null,
    restore: null,
    snapshotIo: [],
    dropReason: null,
  };
}

/** Appends entries that continue the log at lastIndex + 1. */
export function appendToLog(ctx: Ctx, entries: readonly Entry[]): void {
  const first = entries[0];
  if (first === undefined) return;
  ctx.s.log = ctx.s.log.append(entries);
  if (first.index < ctx.dirtyFrom) ctx.dirtyFrom = first.index;
  // A configuration takes effect when appended, committed or not (thesis §4.1).
  setMembershipLog(ctx.s, ctx.s.membershipLog.append(entries));
}

/** Drops the entries from `index` on; what was durable beyond it no longer counts. */
export function truncateLog(ctx: Ctx, index: number): void {
  ctx.s.log = ctx.s.log.truncateFrom(index);
  if (index < ctx.dirtyFrom) ctx.dirtyFrom = index;
  if (ctx.s.persistedIndex >= index) ctx.s.persistedIndex = index - 1;
  // A configuration whose entry is gone is no longer in force: back to the one before it.
  setMembershipLog(ctx.s, ctx.s.membershipLog.truncateFrom(index));
}

/** Keeps `membership` equal to the configuration in force. */
export function setMembershipLog(s: Draft, membershipLog: MembershipLog): void {
  if (membershipLog === s.membershipLog) return;
  s.membershipLog = membershipLog;
  const membership = membershipLog.current.membership;
  if (membership !== s.membership) s.membership = membership;
}
