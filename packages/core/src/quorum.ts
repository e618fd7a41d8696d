import type { Membership } from "./entry.js";
import type { NodeId } from "./ids.js";

// Every quorum decision of the reducer (elections, commit, CheckQuorum) goes through these pure
// functions, so joint consensus (thesis §4.3) needs no change elsewhere: while `outgoing` is
// present a decision needs a majority of `voters` AND a majority of `outgoing`. Learners never
// count. Nothing here knows about messages or roles: only ids and indexes.

export type VoteOutcome = "won" | "lost" | "pending";

/**
 * The highest index that a majority of `voters` have reached, given each voter's acknowledged
 * index. An empty voter set imposes no constraint (Infinity), so joint configurations combine
 * with `min`.
 */
export function majorityIndex(voters: readonly NodeId[], indexOf: (id: NodeId) => number): number {
  const n = voters.length;
  if (n === 0) return Number.POSITIVE_INFINITY;
  if (n === 1) return indexOf(voters[0]!);
  if (n === 3) {
    // The common case without allocating: the median of three.
    const a = indexOf(voters[0]!);
    const b = indexOf(voters[1]!);
    const c = indexOf(voters[2]!);
    return Math.max(Math.min(a, b), Math.min(Math.max(a, b), c));
  }
  // Sorted descending, the (floor(n/2))-th value is held by floor(n/2) + 1 voters: a majority.
  // An insertion sort into a reused scratch array: the leader decides this on every
  // acknowledgement, and a mapped array and a sort per decision were a visible share of the
  // simulator's garbage. The scratch never escapes, so the function stays pure.
  if (scratch.length < n) scratch = new Float64Array(n);
  const values = scratch;
  for (let i = 0; i < n; i++) {
    const value = indexOf(voters[i]!);
    let j = i;
    while (j > 0 && values[j - 1]! < value) {
      values[j] = values[j - 1]!;
      j--;
    }
    values[j] = value;
  }
  return values[Math.floor(n / 2)]!;
}

/** majorityIndex's sort buffer (grown for larger voter sets). */
let scratch = new Float64Array(8);

/** The highest index acknowledged by a quorum of the membership (joint-aware). */
export function committedIndex(membership: Membership, indexOf: (id: NodeId) => number): number {
  const incoming = majorityIndex(membership.voters, indexOf);
  if (membership.outgoing === undefined) return incoming;
  return Math.min(incoming, majorityIndex(membership.outgoing, indexOf));
}

/** The outcome of a vote among `voters` given the answers so far (undefined: not answered). */
export function majorityVote(
  voters: readonly NodeId[],
  answerOf: (id: NodeId) => boolean | undefined,
): VoteOutcome {
  if (voters.length === 0) return "won";
  let granted = 0;
  let rejected = 0;
  for (const id of voters) {
    const answer = answerOf(id);
    if (answer === true) granted++;
    else if (answer === false) rejected++;
  }
  const needed = Math.floor(voters.length / 2) + 1;
  if (granted >= needed) return "won";
  if (voters.length - rejected < needed) return "lost";
  return "pending";
}

/** The outcome of an election in the membership (joint-aware: both halves must be won). */
export function voteOutcome(
  membership: Membership,
  answerOf: (id: NodeId) => boolean | undefined,
): VoteOutcome {
  const incoming = majorityVote(membership.voters, answerOf);
  if (membership.outgoing === undefined) return incoming;
  const outgoing = majorityVote(membership.outgoing, answerOf);
  if (incoming === "lost" || outgoing === "lost") return "lost";
  if (incoming === "won" && outgoing === "won") return "won";
  return "pending";
}

/** Whether the nodes for which `isActive` holds form a quorum (CheckQuorum, thesis §6.2). */
export function hasQuorum(membership: Membership, isActive: (id: NodeId) => boolean): boolean {
  return voteOutcome(membership, (id) => (isActive(id) ? true : undefined)) === "won";
}

/** Every node that takes part in the membership, each once: voters, outgoing voters, learners. */
export function members(membership: Membership): NodeId[] {
  const seen = new Set<NodeId>(membership.voters);
  for (const id of membership.outgoing ?? []) seen.add(id);
  for (const id of membership.learners) seen.add(id);
  return [...seen];
}

/** Whether `id` may vote in this membership (in either half of a joint one). */
export function isVoter(membership: Membership, id: NodeId): boolean {
  return membership.voters.includes(id) || (membership.outgoing?.includes(id) ?? false);
}
