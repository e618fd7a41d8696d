import type { Membership } from "./entry.js";
import type { NodeId } from "./ids.js";
import { objectList } from "./internal/lists.js";

// One shape for every configuration. The reducer asks a configuration something on every message
// (`isMember`), every acknowledgement (`committedIndex`) and every tick, and V8 optimizes those
// functions for the object shapes (maps) they have seen. Configurations used to be built by
// object literals of two, three and four fields, by spreads (each `{ ...joint, explicitLeave }`
// got a map of its own: the sites grew megamorphic), decoded into holey arrays, frozen or parsed
// from JSON: a fresh playground worker deoptimized on them more than on anything else
// (docs/benchmarks.md, issue 15). Built here, every configuration has the same four fields in
// the same order, and every id list the same array kind, whatever it came from.

/**
 * A configuration (see {@link Membership}) with one object shape whatever its kind: `voters`,
 * `learners`, `outgoing` and `explicitLeave`, always all four and in this order (`outgoing`
 * undefined unless joint, `explicitLeave` undefined unless joint and left only on request). The
 * id lists are copied, so the caller may keep changing its own. Build every configuration that
 * reaches a node through here: its state, log entries and snapshots.
 */
export function membershipOf(
  voters: readonly NodeId[],
  learners: readonly NodeId[],
  outgoing?: readonly NodeId[],
  explicitLeave?: boolean,
): Membership {
  return {
    voters: idList(voters),
    learners: idList(learners),
    outgoing: outgoing === undefined ? undefined : idList(outgoing),
    explicitLeave: outgoing !== undefined && explicitLeave === true ? true : undefined,
  };
}

/** `membership` built by {@link membershipOf}: the same fields and values, the common shape. */
export function normalMembership(membership: Membership): Membership {
  const { voters, learners, outgoing, explicitLeave } = membership;
  return membershipOf(voters, learners, outgoing, explicitLeave === true);
}

/**
 * A copy of `ids` whose elements kind is always V8's PACKED_ELEMENTS (internal/lists.ts), where a
 * decoded `new Array(n)` would be HOLEY_ELEMENTS, a frozen config's list PACKED_FROZEN_ELEMENTS
 * and an empty literal PACKED_SMI_ELEMENTS.
 */
function idList(ids: readonly NodeId[]): NodeId[] {
  const list = objectList<NodeId>();
  for (let i = 0; i < ids.length; i++) list.push(ids[i]!);
  return list;
}
