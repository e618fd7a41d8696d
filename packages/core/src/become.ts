import { electionTimeoutFrom } from "./config.js";
import type { NodeId } from "./ids.js";
import type { Ctx } from "./internal/context.js";
import { appendToLog } from "./internal/context.js";
import { asIndex, asTerm } from "./log.js";
import { nextRandom } from "./prng.js";
import { isVoter, members, voteOutcome } from "./quorum.js";
import { broadcastAppend } from "./replication.js";
import type { Draft } from "./state.js";
import { trackConfiguration } from "./tracker.js";

// Every role change goes through one of these four functions, so the bookkeeping that goes with
// a role (timers, votes, progress) is reset in exactly one place.

/**
 * `timer: "keep"` leaves the election timer running: for a term learnt from a node that is not
 * the term's leader (a vote request we may deny, an answer to our own messages). Figure 2 restarts
 * the timer only on AppendEntries from the current leader or on granting a vote; restarting it on
 * every higher term let a node that can never win (a stale log, a fast clock, no PreVote) hold
 * every electable node's timer back for ever by campaigning again and again (simulator seed 3949).
 */
export function becomeFollower(
  ctx: Ctx,
  term: number,
  leader: NodeId | null,
  timer: "reset" | "keep" = "reset",
): void {
  const s = ctx.s;
  if (term !== s.term) {
    s.term = term;
    s.vote = null;
    // A snapshot transfer belongs to one leader's term; a new term's leader starts its own.
    s.incoming = null;
  }
  s.role = "follower";
  s.leader = leader;
  s.votes = emptyVotes;
  s.leaderState = null;
  // A transfer ends with the leadership it was handing over (thesis §3.10).
  s.transfer = null;
  if (timer === "reset") resetElectionTimer(s);
}

/** Thesis §9.6: ask whether we could win at term + 1 before disturbing anyone with it. */
export function becomePreCandidate(ctx: Ctx): void {
  const s = ctx.s;
  s.role = "preCandidate";
  s.leader = null;
  s.leaderState = null;
  s.votes = new Map([[s.id, true]]);
  resetElectionTimer(s);
  if (voteOutcome(s.membership, (id) => s.votes.get(id)) === "won") {
    becomeCandidate(ctx);
    return;
  }
  for (const to of members(s.membership)) {
    if (to === s.id || !isVoter(s.membership, to)) continue;
    ctx.messages.push({
      type: "requestVote",
      from: s.id,
      to,
      term: asTerm(s.term + 1),
      preVote: true,
      lastLogIndex: asIndex(s.log.lastIndex),
      lastLogTerm: asTerm(s.log.lastTerm),
    });
  }
}

/**
 * §5.2: a new term, a vote for ourselves, and RequestVote to every voter once that is durable.
 * `transfer`: the leader asked us to (TimeoutNow, thesis §3.10); the requests say so.
 */
export function becomeCandidate(ctx: Ctx, transfer = false): void {
  const s = ctx.s;
  s.term += 1;
  s.vote = s.id;
  s.role = "candidate";
  s.leader = null;
  s.leaderState = null;
  s.votes = new Map([[s.id, true]]);
  resetElectionTimer(s);
  if (voteOutcome(s.membership, (id) => s.votes.get(id)) === "won") {
    becomeLeader(ctx);
    return;
  }
  for (const to of members(s.membership)) {
    if (to === s.id || !isVoter(s.membership, to)) continue;
    // Held: the request carries a term and a self-vote that must be durable first (§5.2, Fig. 2).
    ctx.held.push({
      type: "requestVote",
      from: s.id,
      to,
      term: asTerm(s.term),
      preVote: false,
      ...(transfer ? { transfer: true } : {}),
      lastLogIndex: asIndex(s.log.lastIndex),
      lastLogTerm: asTerm(s.log.lastTerm),
    });
  }
}

/** §5.2–5.4: lead; probe every follower from our tip and append a no-op of our term (§5.4.2). */
export function becomeLeader(ctx: Ctx): void {
  const s = ctx.s;
  s.role = "leader";
  s.leader = s.id;
  s.votes = emptyVotes;
  s.electionElapsed = 0;
  s.heartbeatElapsed = 0;
  const next = s.log.lastIndex + 1;
  const progress = trackConfiguration(s.membership, s.id, new Map(), next, 1);
  s.leaderState = { progress, seq: 0 };
  appendToLog(ctx, [{ kind: "noop", index: asIndex(next), term: asTerm(s.term) }]);
  broadcastAppend(ctx);
}

/** A fresh random timeout in [electionTimeoutTicks, + electionJitterTicks) (§5.2; config.ts). */
export function resetElectionTimer(s: Draft): void {
  const { state, value } = nextRandom(s.random);
  s.random = state;
  s.electionElapsed = 0;
  s.electionTimeoutTicks = electionTimeoutFrom(s.config, value);
}

const emptyVotes: ReadonlyMap<NodeId, boolean> = new Map();
