import type { Membership } from "@flotilla/core";
import { init, type RaftStateInternals, step } from "@flotilla/core/runtime";
import type { RaftCore } from "../src/raft-core.js";

// Planted defects of the membership rules (Raft thesis chapter 4), each breaking one rule of the
// core's membership-change.ts, quorum.ts or membership-log.ts through the simulator's `core`
// seam (a wrapper around the real reducer), as a reviewer hunting for gaps would plant them. The
// suite in planted-membership-defects.test.ts proves a bounded seed search finds each.

type MembershipLogLike = RaftStateInternals["membershipLog"];

/**
 * §4.1, one change at a time, skipped: a leader starts a change (or leaves a joint configuration
 * on request) while the configuration in force is not committed yet. Planted by showing the
 * leader a membership log whose latest configuration looks committed, for change requests only.
 */
export const twoChangesInFlight: RaftCore<RaftStateInternals> = {
  init,
  step(state, event) {
    const current = state.membershipLog.current;
    if (
      event.type !== "changeMembership" ||
      state.role !== "leader" ||
      current.index <= state.commit
    ) {
      return step(state, event);
    }
    const committedLooking = rebased(state.membershipLog, state.commit, current.membership);
    const result = step({ ...state, membershipLog: committedLooking }, event);
    const s = result.state;
    const appended = s.log.slice(state.log.lastIndex + 1, s.log.lastIndex);
    return { ...result, state: { ...s, membershipLog: state.membershipLog.append(appended) } };
  },
};

/**
 * §4.3: while joint, elections and commitment need a majority of C_old AND of C_new. Planted as
 * the slip of counting the incoming voters only: the reducer is shown the configuration without
 * its outgoing half for every step taken in a joint configuration.
 */
export const jointQuorumOfNewConfigOnly: RaftCore<RaftStateInternals> = {
  init,
  step(state, event) {
    const joint = state.membership;
    if (joint.outgoing === undefined) return step(state, event);
    const incomingOnly: Membership = { voters: joint.voters, learners: joint.learners };
    const result = step({ ...state, membership: incomingOnly }, event);
    if (result.state.membership !== incomingOnly) return result;
    return { ...result, state: { ...result.state, membership: joint } };
  },
};

/**
 * §4.1: "a server always uses the latest configuration in its log, regardless of whether the
 * entry is committed". Planted the other way round: a configuration takes effect only once its
 * entry is committed, so a leader counts the old voters for the entry adding (or removing) one,
 * and for everything after it until it commits.
 */
export const configurationAtCommit: RaftCore<RaftStateInternals> = {
  init(config, persisted) {
    return atCommit(init(config, persisted));
  },
  step(state, event) {
    const result = step(state, event);
    return { ...result, state: atCommit(result.state) };
  },
};

function atCommit(s: RaftStateInternals): RaftStateInternals {
  const committed = s.membershipLog.at(s.commit).membership;
  return committed === s.membership ? s : { ...s, membership: committed };
}

/** A membership log holding only `membership`, as if its entry were at `index`. */
function rebased(log: MembershipLogLike, index: number, membership: Membership): MembershipLogLike {
  const MembershipLog = log.constructor as unknown as {
    fromSnapshot(index: number, membership: Membership): MembershipLogLike;
  };
  return MembershipLog.fromSnapshot(index, membership);
}

export const membershipDefects = {
  twoChangesInFlight,
  jointQuorumOfNewConfigOnly,
  configurationAtCommit,
} as const;

export type MembershipDefectName = keyof typeof membershipDefects;
