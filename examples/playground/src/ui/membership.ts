import { type Membership, status } from "@flotilla/core";
import type { World } from "../model/types.js";
import { leaderOf } from "../model/world.js";

// A node's place in a configuration, in words the page shows next to its role.

/** `leaving`: a voter only of the outgoing half of a joint configuration (thesis §4.3). */
export type MemberKind = "voter" | "learner" | "leaving" | "none";

export function memberKind(membership: Membership, id: string): MemberKind {
  if (membership.voters.includes(id as never)) return "voter";
  if (membership.outgoing?.includes(id as never)) return "leaving";
  if (membership.learners.includes(id as never)) return "learner";
  return "none";
}

export const memberLabel = {
  voter: "voter",
  learner: "learner",
  leaving: "leaving (joint)",
  none: "not a member",
} as const satisfies Record<MemberKind, string>;

/** The configuration in one line: `voters n1 n2 n3 · learners n6`. */
export function membershipText(membership: Membership): string {
  const parts = [`voters ${membership.voters.join(" ")}`];
  if (membership.outgoing !== undefined) parts.push(`outgoing ${membership.outgoing.join(" ")}`);
  if (membership.learners.length > 0) parts.push(`learners ${membership.learners.join(" ")}`);
  return parts.join(" · ");
}

/** Whether the leader (or, without one, the node itself) counts `id` as a voter or learner. */
export function memberOfCluster(world: World, id: string): boolean {
  const source = leaderOf(world) ?? world.nodes.find((node) => node.id === id);
  return source !== undefined && memberKind(status(source.state).membership, id) !== "none";
}
