import type {
  Membership,
  MembershipChange,
  MembershipOperation,
  MembershipRefusal,
  MembershipTransition,
  NodeId,
} from "@flotilla/core";
import type { Prng } from "@flotilla/transport-memory";

// The swarm's operator: now and then it asks the current leader for a membership change drawn at
// random from the configuration in force, while the faults go on (thesis chapter 4). A change
// adds voters or learners (spare nodes that started empty, waiting to be added, or nodes removed
// earlier, with whatever their disks still hold), promotes, demotes or removes (the leader too),
// one operation or several; it travels in one step or through a joint configuration, left by the
// leader or on an explicit `leaveJoint` this operator sends later. Some requests are refused (one
// change at a time, a lagging learner, the last voter, a follower asked): those refusals are
// typed, and part of what is tested. Its draws come from their own PRNG stream, so a seed's other
// faults stay what they were.

/** What the workload asks of a node: the driver's `changeMembership` and `promoteWhenCaughtUp`. */
export interface MembershipTarget {
  readonly id: NodeId;
  /** `force`: promote a lagging learner all the same. */
  changeMembership(change: MembershipChange, force: boolean): void;
  /** Promotes learner `id` once it has caught up in rounds (thesis §4.2.1). */
  promoteWhenCaughtUp(id: NodeId): void;
}

const transitions: readonly MembershipTransition[] = [
  "auto",
  "auto",
  "joint",
  "jointExplicitLeave",
];
const operationCounts = [1, 1, 1, 2, 3] as const;

export class MembershipWorkload {
  readonly tally = new MembershipTally();
  readonly #prng: Prng;
  /** Whether a lone promotion goes through `promoteWhenCaughtUp`: a stream of its own (below). */
  readonly #catchUpPrng: Prng;
  readonly #ids: readonly NodeId[];
  readonly #removesVoters: boolean;

  /**
   * `removesVoters` false: a voter is demoted where it would be removed. Without PreVote and
   * CheckQuorum a removed voter that never learns of its removal (the leader stops replicating
   * to it at once) campaigns for ever and deposes every leader (thesis §4.2.3): Raft leaves that
   * to the operator, who shuts it down. A learner is still replicated to, so it learns its role.
   */
  constructor(prng: Prng, ids: readonly NodeId[], removesVoters: boolean) {
    this.#prng = prng;
    // Forked, so the changes drawn stay what the seed drew before promotions could wait.
    this.#catchUpPrng = prng.fork("catch-up");
    this.#ids = ids;
    this.#removesVoters = removesVoters;
  }

  /** One fault round: with `probability`, asks `leader` (in `membership`) for a change. */
  round(leader: MembershipTarget, membership: Membership, probability: number): void {
    const prng = this.#prng;
    if (!prng.chance(probability)) return;
    this.tally.requested++;
    if (membership.outgoing !== undefined && prng.chance(0.8)) {
      leader.changeMembership({ type: "leaveJoint" }, false);
      return;
    }
    const operations = this.#operations(membership, prng.pick(operationCounts));
    if (operations.length === 0) return;
    const change: MembershipChange = {
      type: "change",
      operations,
      transition: prng.pick(transitions),
    };
    const force = prng.chance(0.25);
    // Half the lone unforced promotions wait until the learner caught up, as an operator
    // following thesis §4.2.1 would ask: the driver's catch-up rounds run under the faults too.
    const only = operations.length === 1 ? operations[0] : undefined;
    if (only?.type === "promote" && !force && this.#catchUpPrng.chance(0.5)) {
      leader.promoteWhenCaughtUp(only.id);
      return;
    }
    leader.changeMembership(change, force);
  }

  /** Up to `count` operations on distinct nodes, each valid in `membership` taken alone. */
  #operations(membership: Membership, count: number): MembershipOperation[] {
    const prng = this.#prng;
    const operations: MembershipOperation[] = [];
    const named = new Set<NodeId>();
    for (let i = 0; i < count; i++) {
      const id = prng.pick(this.#ids);
      if (named.has(id)) continue;
      named.add(id);
      operations.push({ type: this.#operationFor(membership, id), id });
    }
    return operations;
  }

  #operationFor(membership: Membership, id: NodeId): MembershipOperation["type"] {
    const prng = this.#prng;
    if (membership.voters.includes(id)) {
      return prng.chance(0.3) || !this.#removesVoters ? "demote" : "remove";
    }
    if (membership.learners.includes(id)) return prng.chance(0.6) ? "promote" : "remove";
    return prng.chance(0.6) ? "addVoter" : "addLearner";
  }
}

/** What became of the changes the workload asked for (part of a run's counts). */
export type MembershipCounts = {
  /** Change requests sent to a leader. */
  readonly requested: number;
  /** Changes that settled as done: the whole change committed (a joint one left, unless explicit). */
  readonly completed: number;
  /** Of those, joint changes (C_old,new), and the explicit leaves of such a configuration. */
  readonly joint: number;
  readonly explicitLeaves: number;
  /** Of those, changes that removed or demoted the leader they were sent to. */
  readonly leaderRemovals: number;
  /** Of those, promotions through `promoteWhenCaughtUp` (thesis §4.2.1). */
  readonly caughtUpPromotions: number;
  /**
   * Refused with a typed reason, by reason (changePending, learnerLagging, notLeader...;
   * learnerNotCaughtUp: every catch-up round of `promoteWhenCaughtUp` took too long).
   */
  readonly refused: Readonly<Record<string, number>>;
  /** Not known to be done: the leader stepped down or crashed before it settled. */
  readonly unknown: number;
};

/** Counts how the requested changes settled. */
export class MembershipTally {
  requested = 0;
  #completed = 0;
  #joint = 0;
  #explicitLeaves = 0;
  #leaderRemovals = 0;
  #caughtUpPromotions = 0;
  #unknown = 0;
  readonly #refused: Record<string, number> = {};

  /** `change`, sent to `leader`, is done. */
  completed(leader: NodeId, change: MembershipChange): void {
    this.#completed++;
    if (change.type === "leaveJoint") {
      this.#explicitLeaves++;
      return;
    }
    const transition = change.transition ?? "auto";
    if (transition !== "auto" || change.operations.length > 1) this.#joint++;
    if (change.operations.some((op) => op.id === leader && op.type !== "promote")) {
      this.#leaderRemovals++;
    }
  }

  /** A `promoteWhenCaughtUp` is done: the learner caught up and its promotion committed. */
  caughtUp(): void {
    this.#completed++;
    this.#caughtUpPromotions++;
  }

  /** Refused: by the core with a typed reason, or a catch-up that gave up. */
  refused(refusal: MembershipRefusal | { readonly reason: "learnerNotCaughtUp" }): void {
    this.#refused[refusal.reason] = (this.#refused[refusal.reason] ?? 0) + 1;
  }

  unknown(): void {
    this.#unknown++;
  }

  counts(): MembershipCounts {
    return {
      requested: this.requested,
      completed: this.#completed,
      joint: this.#joint,
      explicitLeaves: this.#explicitLeaves,
      leaderRemovals: this.#leaderRemovals,
      caughtUpPromotions: this.#caughtUpPromotions,
      refused: { ...this.#refused },
      unknown: this.#unknown,
    };
  }
}

/** `+4 +~5 ^6 v2 -3 (joint)`, for the trace: voter or learner (~) added, promoted, demoted, removed. */
export function describeChange(change: MembershipChange): string {
  if (change.type === "leaveJoint") return "leave joint";
  const signs = { addVoter: "+", addLearner: "+~", promote: "^", demote: "v", remove: "-" };
  const operations = change.operations.map((op) => `${signs[op.type]}${op.id}`).join(" ");
  return `${operations} (${change.transition ?? "auto"})`;
}
