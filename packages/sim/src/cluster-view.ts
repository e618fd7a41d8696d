import type { Role } from "@flotilla/core";
import type { SafetyChecker } from "./safety-checker.js";

/** What the simulator reads of a node to find its leader and judge catch-up. */
export interface NodeView {
  readonly id: string;
  readonly up: boolean;
  readonly role: Role;
  readonly term: number;
  readonly applied: number;
  readonly hadAmnesia: boolean;
}

/** The node leading the highest term any running node is in, if one does. */
export function leaderOf<N extends NodeView>(nodes: readonly N[]): N | null {
  let maxTerm = -1;
  for (const node of nodes) if (node.up && node.term > maxTerm) maxTerm = node.term;
  for (const node of nodes) {
    if (node.up && node.role === "leader" && node.term === maxTerm) return node;
  }
  return null;
}

/**
 * After the heal every node that lost its data must catch up: the one that has not applied what
 * the leader applied (left behind for ever: its lost log never repaired), described, or null
 * when all have (a leader is needed for that) or a violation amnesia caused excused it. Only
 * those nodes: a healthy follower may still be catching up by a snapshot sent in one-byte
 * chunks over a slow link when the clients are done (seed 377), which is no failure.
 */
export function laggardOf(nodes: readonly NodeView[], checker: SafetyChecker): string | null {
  const leader = leaderOf(nodes);
  if (leader === null) return "no leader";
  // Amnesia that already broke safety (two leaders in a term, a leader without committed
  // entries) can leave logs Raft cannot reconcile: then serving clients is what is demanded.
  if (checker.excused !== null) return null;
  for (const node of nodes) {
    if (node.hadAmnesia && node.applied < leader.applied) {
      return `n${node.id} did not catch up (applied ${node.applied}, the leader n${leader.id} ${leader.applied})`;
    }
  }
  return null;
}
