import type { Config, ConfigInput } from "./config.js";
import { electionTimeoutFrom, validateConfig } from "./config.js";
import type { Entry, Membership, Persisted } from "./entry.js";
import { FlotillaError } from "./errors.js";
import { RaftLog } from "./log.js";
import { membershipOf } from "./membership.js";
import { MembershipLog } from "./membership-log.js";
import { nextRandom, seedFor } from "./prng.js";
import { firstForwardedReadId, initialReadState } from "./read-index.js";
import type { RaftState } from "./state.js";
import { copyState } from "./state.js";

/** Storage handed back something that cannot be a Raft node's durable state. */
class PersistedStateError extends FlotillaError {
  constructor(message: string) {
    super("INVALID_PERSISTED", `invalid persisted state: ${message}`);
  }
}

/**
 * A node as it starts: a follower with no known leader, its term, vote and commit from the hard
 * state, and its log from the snapshot (as the base) plus the persisted entries. Everything
 * loaded from storage is durable by definition, so persistedIndex starts at the last index.
 */
export function init(config: ConfigInput | Config, persisted?: Persisted): RaftState {
  const c = validateConfig(config);
  const hard = persisted?.hardState ?? { term: 0, vote: null, commit: 0 };
  const snapshot = persisted?.snapshot ?? null;
  const entries = persisted?.entries ?? [];
  const baseIndex = snapshot?.index ?? 0;
  const baseTerm = snapshot?.term ?? 0;
  checkEntries(entries, baseIndex, baseTerm);
  const log = RaftLog.from(entries, baseIndex, baseTerm);
  // A batch is made durable in order (snapshot, log, then hard state), so a crash between the
  // log write and the hard-state write leaves entries (or a snapshot) of a term the hard state
  // never reached. Such a node saw that term, so it must not start below it: were it to campaign
  // in it, it could become a second leader of a term that already has one (§5.2, election
  // safety). Its vote in that term was never durable, hence never sent: none is recorded.
  const term = Math.max(hard.term, log.lastTerm);
  const vote = term === hard.term ? hard.vote : null;
  const commit = Math.max(hard.commit, baseIndex);
  if (commit > log.lastIndex) {
    throw new PersistedStateError(`commit ${commit} is beyond the last index ${log.lastIndex}`);
  }
  if (hard.vote !== null && typeof hard.vote !== "string") {
    throw new PersistedStateError("vote is neither null nor a node id");
  }
  // The configuration in force is the latest in the log (thesis §4.1), else the snapshot's, else
  // the initial one from the config.
  // A joining node has none until the leader's log or snapshot brings one.
  const initial: Membership = c.join ? membershipOf([], []) : membershipOf(c.voters, c.learners);
  const base: Membership = snapshot?.membership ?? initial;
  const membershipLog = MembershipLog.from({ index: baseIndex, membership: base }, entries);
  const { state: random, value } = nextRandom(seedFor(c.seed, c.id));
  return copyState({
    config: c,
    id: c.id,
    role: "follower",
    term,
    vote,
    leader: null,
    log,
    commit,
    applyQueued: baseIndex,
    applied: baseIndex,
    persistedIndex: log.lastIndex,
    membership: membershipLog.current.membership,
    membershipLog,
    snapshot:
      snapshot === null
        ? null
        : {
            index: snapshot.index,
            term: snapshot.term,
            membership: snapshot.membership,
            size: snapshot.size,
            checksum: snapshot.checksum,
          },
    snapshotLost: snapshot !== null && persisted?.snapshotBytesLost === true,
    incoming: null,
    electionElapsed: 0,
    electionTimeoutTicks: electionTimeoutFrom(c, value),
    heartbeatElapsed: 0,
    random,
    votes: new Map(),
    leaderState: null,
    reads: initialReadState(c.leaseReads, firstForwardedReadId(c.seed, c.id)),
    transfer: null,
  });
}

function checkEntries(entries: readonly Entry[], baseIndex: number, baseTerm: number): void {
  let previousTerm = baseTerm;
  entries.forEach((entry, i) => {
    if (entry.index !== baseIndex + 1 + i) {
      throw new PersistedStateError(
        `entry ${i} has index ${entry.index}, expected ${baseIndex + 1 + i}`,
      );
    }
    if (entry.term < previousTerm) {
      throw new PersistedStateError(`entry ${entry.index} has an impossible term ${entry.term}`);
    }
    previousTerm = entry.term;
  });
}
