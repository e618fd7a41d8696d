import type { Role } from "./effect.js";
import type { Membership } from "./entry.js";
import type { Index, NodeId, Term } from "./ids.js";
import type { ProgressState } from "./progress.js";
import type { RaftState } from "./state.js";

/** What a leader knows about one follower. */
export type PeerProgress = {
  readonly match: Index;
  readonly next: Index;
  readonly state: ProgressState;
  /** AppendEntries messages sent and not yet acknowledged (replicate state). */
  readonly inflight: number;
  /** Heard from since the last CheckQuorum round. */
  readonly recentActive: boolean;
  /** Receives the log without voting (thesis §4.2.1). */
  readonly isLearner: boolean;
  /**
   * Set once this leader found the follower without entries it had acknowledged up to `match`:
   * its log ended (or stopped agreeing) at `logEnd` (a wiped or restored data directory). The
   * latest such finding in this term; see the `peerLostLog` effect.
   */
  readonly lostLog?: { readonly match: Index; readonly logEnd: Index };
};

/** A plain, frozen, read-only view of a node (the state itself is opaque). */
export type Status = {
  readonly id: NodeId;
  readonly role: Role;
  readonly term: Term;
  readonly vote: NodeId | null;
  readonly leader: NodeId | null;
  readonly commit: Index;
  readonly applied: Index;
  readonly lastLogIndex: Index;
  readonly lastLogTerm: Term;
  readonly membership: Membership;
  /**
   * Ticks since the election timer was last reset, and the timeout it runs to (randomised per
   * term, §5.2): how close a follower or candidate is to campaigning. A leader does not time out.
   */
  readonly electionElapsedTicks: number;
  readonly electionTimeoutTicks: number;
  /** Leader only: one record per other member. */
  readonly progress?: Readonly<Record<NodeId, PeerProgress>>;
};

/**
 * What a state says about itself (role, term, leader, indexes, per-peer progress on a leader),
 * without exposing its internals.
 */
export function status(state: RaftState): Status {
  const view: { -readonly [K in keyof Status]: Status[K] } = {
    id: state.id,
    role: state.role,
    term: state.term as Term,
    vote: state.vote,
    leader: state.leader,
    commit: state.commit as Index,
    applied: state.applied as Index,
    lastLogIndex: state.log.lastIndex as Index,
    lastLogTerm: state.log.lastTerm as Term,
    membership: state.membership,
    electionElapsedTicks: state.electionElapsed,
    electionTimeoutTicks: state.electionTimeoutTicks,
  };
  const ls = state.leaderState;
  if (ls !== null) {
    const progress: Record<NodeId, PeerProgress> = {};
    for (const [peer, pr] of ls.progress) {
      const view: { -readonly [K in keyof PeerProgress]: PeerProgress[K] } = {
        match: pr.match as Index,
        next: pr.next as Index,
        state: pr.state,
        inflight: pr.inflight.count,
        recentActive: pr.recentActive,
        isLearner: pr.isLearner,
      };
      if (pr.lostLog !== null) {
        const { match, logEnd } = pr.lostLog;
        view.lostLog = Object.freeze({ match: match as Index, logEnd: logEnd as Index });
      }
      progress[peer] = Object.freeze(view);
    }
    view.progress = Object.freeze(progress);
  }
  return Object.freeze(view);
}
