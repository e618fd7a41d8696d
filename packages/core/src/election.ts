import { becomeCandidate, becomeFollower, becomeLeader, becomePreCandidate } from "./become.js";
import type { Ctx } from "./internal/context.js";
import { asTerm } from "./log.js";
import type { RequestVote, RequestVoteResponse } from "./message.js";
import { isVoter, voteOutcome } from "./quorum.js";
import type { RaftState } from "./state.js";

// Elections (§5.2, §5.4.1) with PreVote (thesis §9.6) and the CheckQuorum vote lease (§9.6 /
// §6.2): voting, counting, and the timers that start campaigns.

/**
 * Why a node campaigns: its election timer ran out, it was told to (a `campaign` event), or its
 * leader hands leadership to it (TimeoutNow, thesis §3.10).
 */
export type CampaignReason = "timeout" | "forced" | "transfer";

/** Starts an election: through a pre-vote when enabled, unless forced or asked by the leader. */
export function campaign(ctx: Ctx, reason: CampaignReason): void {
  if (!mayCampaign(ctx.s)) return; // learners never campaign
  if (ctx.s.config.preVote && reason === "timeout") becomePreCandidate(ctx);
  else becomeCandidate(ctx, reason === "transfer");
}

/**
 * Whether this node may stand for election: a voter of the configuration in force, or (thesis
 * §4.2.2) a voter being removed by a configuration not committed yet: "a server that is not part
 * of its own latest configuration should still start new elections, as it might still be needed
 * until the C_new entry is committed". Otherwise a leader that removed itself and crashed before
 * C_new committed, and holds the longest log, would refuse every other candidate its vote and
 * never campaign itself (the simulator's membership swarm found it: 2 voters, one removed). Its
 * own vote never counts (quorum.ts counts the configuration's voters only).
 */
function mayCampaign(s: RaftState): boolean {
  // A node that lost its snapshot's bytes could neither apply nor send that snapshot: it waits
  // for a leader's (it still votes: its log is intact).
  if (s.snapshotLost) return false;
  if (isVoter(s.membership, s.id)) return true;
  const current = s.membershipLog.current;
  return (
    current.index > s.commit && isVoter(s.membershipLog.at(current.index - 1).membership, s.id)
  );
}

/** A follower or candidate tick: campaign when the randomised election timeout runs out. */
export function tickElection(ctx: Ctx): void {
  const s = ctx.s;
  s.electionElapsed += 1;
  if (s.electionElapsed >= s.electionTimeoutTicks) campaign(ctx, "timeout");
}

/**
 * The vote lease: with CheckQuorum, a node that heard from a live leader within the minimum
 * election timeout ignores requests to replace it (thesis §4.2.3), so a node coming back from a
 * partition with a high term cannot depose a healthy leader.
 */
export function inLease(s: RaftState): boolean {
  // A node with lease reads also holds votes right after it starts: before a crash it may have
  // heard from a leader whose read lease counts on it (§6.4.1; read-index.ts).
  const heard = s.leader !== null || s.reads.holdVotesAfterStart;
  return s.config.checkQuorum && heard && s.electionElapsed < s.config.electionTimeoutTicks;
}

/** §5.4.1: grant only to a candidate whose log is at least as up to date as ours. */
function logUpToDate(s: RaftState, lastLogTerm: number, lastLogIndex: number): boolean {
  const ourTerm = s.log.lastTerm;
  return lastLogTerm > ourTerm || (lastLogTerm === ourTerm && lastLogIndex >= s.log.lastIndex);
}

/** Answers a (pre-)vote request whose term is not below ours (the dispatcher saw to that). */
export function handleRequestVote(ctx: Ctx, msg: RequestVote): void {
  const s = ctx.s;
  const upToDate = logUpToDate(s, msg.lastLogTerm, msg.lastLogIndex);
  let granted: boolean;
  if (msg.preVote) {
    // Thesis §9.6: grant if the pre-candidate could win at that term and we have not heard from
    // a leader within the election timeout. Granting changes nothing here.
    const heardFromLeader = s.leader !== null && s.electionElapsed < s.config.electionTimeoutTicks;
    granted = msg.term > s.term && upToDate && !heardFromLeader;
  } else {
    // One vote per term (§5.2): the vote is part of the hard state persisted before the answer.
    granted = msg.term === s.term && (s.vote === null || s.vote === msg.from) && upToDate;
    if (granted) {
      s.vote = msg.from;
      s.electionElapsed = 0;
    }
  }
  const response: RequestVoteResponse = {
    type: "requestVoteResponse",
    from: s.id,
    to: msg.from,
    // A granted pre-vote answers in the term asked about; anything else carries our term.
    term: asTerm(msg.preVote && granted ? msg.term : s.term),
    preVote: msg.preVote,
    granted,
  };
  // A pre-vote answer changes and promises nothing durable (thesis §9.6): it may leave at once.
  // A real vote is held until the vote (and our term) are durable (Figure 2).
  if (msg.preVote) ctx.messages.push(response);
  else ctx.held.push(response);
}

/** Counts an answer in the current election and acts on the outcome. */
export function handleVoteResponse(ctx: Ctx, msg: RequestVoteResponse): void {
  const s = ctx.s;
  const expected = s.role === "preCandidate" ? true : s.role === "candidate" ? false : null;
  if (expected === null || msg.preVote !== expected) return; // a leftover from another election
  if (s.votes.has(msg.from)) return; // a duplicate: the first answer counts
  // A pre-vote grant is for one specific term: a late grant from an earlier pre-election is not.
  if (msg.preVote && msg.granted && msg.term !== s.term + 1) return;
  const votes = new Map(s.votes);
  votes.set(msg.from, msg.granted);
  s.votes = votes;
  const outcome = voteOutcome(s.membership, (id) => votes.get(id));
  if (outcome === "won") {
    if (s.role === "preCandidate") becomeCandidate(ctx);
    else becomeLeader(ctx);
  } else if (outcome === "lost") {
    becomeFollower(ctx, s.term, null);
  }
}
