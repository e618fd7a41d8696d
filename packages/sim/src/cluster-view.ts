import type { Membership, NodeId, Role } from "@flotilla/core";
import type { SafetyChecker } from "./safety-checker.js";

/** What the simulator reads of a node to find its leader and judge catch-up. */
export interface NodeView {
  readonly id: NodeId;
  readonly index: number;
  readonly up: boolean;
  readonly role: Role;
  readonly term: number;
  readonly applied: number;
  readonly hadAmnesia: boolean;
  /** Whether the node came back without its snapshot's bytes, to repair them from the leader. */
  readonly lostSnapshot: boolean;
  /** Whether its last start failed on corruption the fault model made (it stays down). */
  readonly refusedDamage: boolean;
}

/** The configuration in force on a node (the latest in its log). */
export type MembershipOf = (node: number) => Membership;

/**
 * The node leading the highest term any running member of its configuration is in, if one does.
 * A node removed without learning it may campaign on in ever higher terms the members ignore.
 */
export function leaderOf<N extends NodeView>(
  nodes: readonly N[],
  membershipOf: MembershipOf,
): N | null {
  // Indexed loops: the checkers ask this every step (transfer-checker.ts says why).
  let leader: N | null = null;
  for (let i = 0; i < nodes.length; i++) {
    const node = nodes[i]!;
    if (node.up && node.role === "leader" && (leader === null || node.term > leader.term)) {
      leader = node;
    }
  }
  if (leader === null) return null;
  const membership = membershipOf(leader.index);
  for (let i = 0; i < nodes.length; i++) {
    const node = nodes[i]!;
    if (node.up && node.term > leader.term && isMember(membership, node.id)) return null;
  }
  return leader;
}

/**
 * What a client learns by asking every server that answers who leads (kv-client-host.ts): the
 * index of the running, unpaused leader of the highest term, if any.
 */
export function whoLeads(
  nodes: readonly (NodeView & { readonly paused: boolean })[],
): number | null {
  let best: (NodeView & { readonly paused: boolean }) | null = null;
  for (const node of nodes) {
    if (!node.up || node.paused || node.role !== "leader") continue;
    if (best === null || node.term > best.term) best = node;
  }
  return best?.index ?? null;
}

function isMember(membership: Membership, id: NodeId): boolean {
  return (
    membership.voters.includes(id) ||
    membership.learners.includes(id) ||
    (membership.outgoing?.includes(id) ?? false)
  );
}

/**
 * After the heal every node that lost its data must catch up: the one that has not applied what
 * the leader applied (left behind for ever: its lost log never repaired), described, or null
 * when all have (a leader is needed for that) or a violation amnesia caused excused it. Only
 * those nodes: a healthy follower may still be catching up by a snapshot sent in one-byte
 * chunks over a slow link when the clients are done (seed 377), which is no failure. Nor one
 * whose storage refused to open a disk a fault damaged for good (a log record damaged at rest
 * before a whole one): it stays down, as a server would, until an operator restores it.
 */
export function laggardOf(
  nodes: readonly NodeView[],
  checker: SafetyChecker,
  membershipOf: MembershipOf,
): string | null {
  const leader = leaderOf(nodes, membershipOf);
  if (leader === null) return "no leader";
  // Amnesia that already broke safety (two leaders in a term, a leader without committed
  // entries) can leave logs Raft cannot reconcile: then serving clients is what is demanded.
  if (checker.excused !== null) return null;
  // Only members: the leader replicates to no one else (a node removed, or never added).
  const membership = membershipOf(leader.index);
  for (const node of nodes) {
    const lostData = node.hadAmnesia || node.lostSnapshot;
    if (
      lostData &&
      !node.refusedDamage &&
      node.applied < leader.applied &&
      isMember(membership, node.id)
    ) {
      return `n${node.id} did not catch up (applied ${node.applied}, the leader n${leader.id} ${leader.applied})`;
    }
  }
  return null;
}
