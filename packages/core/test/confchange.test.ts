import { type Membership, type NodeId, nodeId } from "@flotilla/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  leaveJoint,
  type MembershipChange,
  type MembershipOperation,
  planMembershipChange,
} from "../src/confchange.js";
import { committedIndex } from "../src/quorum.js";

const [a, b, c, d, e] = [nodeId("a"), nodeId("b"), nodeId("c"), nodeId("d"), nodeId("e")];
const three: Membership = { voters: [a, b, c], learners: [] };
const change = (
  operations: MembershipOperation[],
  transition?: "auto" | "joint" | "jointExplicitLeave",
): MembershipChange =>
  transition === undefined
    ? { type: "change", operations }
    : { type: "change", operations, transition };

describe("planMembershipChange: refusals", () => {
  it.each<[string, Membership, MembershipChange, boolean, object]>([
    [
      "a second change while one is pending",
      three,
      change([{ type: "addVoter", id: d }]),
      true,
      { reason: "changePending" },
    ],
    [
      "removing the last voter",
      { voters: [a], learners: [b] },
      change([{ type: "remove", id: a }]),
      false,
      { reason: "lastVoter" },
    ],
    [
      "demoting the last voter",
      { voters: [a], learners: [] },
      change([{ type: "demote", id: a }]),
      false,
      { reason: "lastVoter" },
    ],
    [
      "adding a voter already present",
      three,
      change([{ type: "addVoter", id: b }]),
      false,
      { reason: "alreadyMember", id: b },
    ],
    [
      "adding a learner that is a voter",
      three,
      change([{ type: "addLearner", id: c }]),
      false,
      { reason: "alreadyMember", id: c },
    ],
    [
      "promoting an unknown node",
      three,
      change([{ type: "promote", id: e }]),
      false,
      { reason: "unknownNode", id: e },
    ],
    [
      "promoting a voter",
      three,
      change([{ type: "promote", id: a }]),
      false,
      { reason: "notLearner", id: a },
    ],
    [
      "demoting a learner",
      { voters: [a], learners: [b] },
      change([{ type: "demote", id: b }]),
      false,
      { reason: "notVoter", id: b },
    ],
    [
      "removing an unknown node",
      three,
      change([{ type: "remove", id: e }]),
      false,
      { reason: "unknownNode", id: e },
    ],
    [
      "naming a node twice",
      three,
      change([
        { type: "addLearner", id: d },
        { type: "promote", id: d },
      ]),
      false,
      { reason: "duplicateNode", id: d },
    ],
    ["no operations", three, change([]), false, { reason: "noOperations" }],
    [
      "a change in a joint configuration",
      { voters: [a, b, c], outgoing: [a], learners: [] },
      change([{ type: "addVoter", id: d }]),
      false,
      { reason: "inJoint" },
    ],
    [
      "leaving a configuration that is not joint",
      three,
      { type: "leaveJoint" },
      false,
      { reason: "notJoint" },
    ],
  ])("%s", (_name, current, request, pending, refusal) => {
    expect(planMembershipChange(current, request, pending)).toEqual({ ok: false, refusal });
  });
});

describe("planMembershipChange: plans", () => {
  it("one voter added or removed goes in one step (thesis §4.1)", () => {
    expect(planMembershipChange(three, change([{ type: "addVoter", id: d }]), false)).toEqual({
      ok: true,
      plan: { membership: { voters: [a, b, c, d], learners: [] } },
    });
    expect(planMembershipChange(three, change([{ type: "remove", id: a }]), false)).toEqual({
      ok: true,
      plan: { membership: { voters: [b, c], learners: [] } },
    });
  });

  it("learner additions and removals change no voter: one step", () => {
    const plan = planMembershipChange(
      { voters: [a, b, c], learners: [d] },
      change([
        { type: "addLearner", id: e },
        { type: "remove", id: d },
      ]),
      false,
    );
    expect(plan).toEqual({
      ok: true,
      plan: { membership: { voters: [a, b, c], learners: [e] } },
    });
  });

  it("two voters changed go through C_old,new, left automatically (thesis §4.3)", () => {
    const plan = planMembershipChange(
      three,
      change([
        { type: "addVoter", id: d },
        { type: "remove", id: a },
      ]),
      false,
    );
    expect(plan).toEqual({
      ok: true,
      plan: {
        membership: { voters: [b, c, d], learners: [], outgoing: [a, b, c] },
      },
    });
  });

  it("a demoted voter is a learner in C_new and still votes in C_old", () => {
    const plan = planMembershipChange(
      three,
      change([{ type: "demote", id: a }], "jointExplicitLeave"),
      false,
    );
    expect(plan).toEqual({
      ok: true,
      plan: {
        membership: { voters: [b, c], learners: [a], outgoing: [a, b, c], explicitLeave: true },
      },
    });
    if (!plan.ok) return;
    expect(planMembershipChange(plan.plan.membership, { type: "leaveJoint" }, false)).toEqual({
      ok: true,
      plan: { membership: { voters: [b, c], learners: [a] } },
    });
  });

  it("transition joint forces C_old,new even for one voter", () => {
    const plan = planMembershipChange(three, change([{ type: "promote", id: d }], "joint"), false);
    expect(plan.ok).toBe(false); // d is unknown
    const withLearner: Membership = { voters: [a, b, c], learners: [d] };
    expect(
      planMembershipChange(withLearner, change([{ type: "promote", id: d }], "joint"), false),
    ).toEqual({
      ok: true,
      plan: {
        membership: { voters: [a, b, c, d], learners: [], outgoing: [a, b, c] },
      },
    });
  });
});

// Properties over random configurations and requests.
const ids = ["a", "b", "c", "d", "e", "f", "g"] as NodeId[];
const config: fc.Arbitrary<Membership> = fc
  .shuffledSubarray(ids, { minLength: 1 })
  .chain((members) =>
    fc.integer({ min: 1, max: members.length }).map((votersCount) => ({
      voters: members.slice(0, votersCount),
      learners: members.slice(votersCount),
    })),
  );
const operation: fc.Arbitrary<MembershipOperation> = fc.record({
  type: fc.constantFrom("addVoter", "addLearner", "promote", "demote", "remove"),
  id: fc.constantFrom(...ids),
}) as fc.Arbitrary<MembershipOperation>;
const transition = fc.constantFrom("auto", "joint", "jointExplicitLeave") as fc.Arbitrary<
  "auto" | "joint" | "jointExplicitLeave"
>;

function overlaps(x: readonly NodeId[], y: readonly NodeId[]): boolean {
  return x.some((id) => y.includes(id));
}

describe("planMembershipChange: properties", () => {
  it("every plan keeps a voter, lists no node twice, and puts no voter among learners of C_new", () => {
    fc.assert(
      fc.property(config, fc.array(operation, { maxLength: 5 }), transition, (m, ops, t) => {
        const result = planMembershipChange(m, change(ops, t), false);
        if (!result.ok) return;
        const next = result.plan.membership;
        expect(next.voters.length).toBeGreaterThan(0);
        expect(new Set(next.voters).size).toBe(next.voters.length);
        expect(new Set(next.learners).size).toBe(next.learners.length);
        expect(overlaps(next.voters, next.learners)).toBe(false);
        if (next.outgoing !== undefined) expect(next.outgoing).toEqual(m.voters);
      }),
      { seed: 12, numRuns: 3000 },
    );
  });

  it("a one-step plan is safe: every majority of C_old meets every majority of C_new", () => {
    // Thesis §4.1: the old and the new configuration must never decide independently. A joint
    // plan needs majorities of both halves (outgoing = C_old, checked above), so it is safe by
    // construction; a one-step plan must be one whose majorities always overlap.
    fc.assert(
      fc.property(config, fc.array(operation, { maxLength: 5 }), (m, ops) => {
        const result = planMembershipChange(m, change(ops, "auto"), false);
        if (!result.ok || result.plan.membership.outgoing !== undefined) return;
        for (const oldMajority of majorities(m.voters)) {
          for (const newMajority of majorities(result.plan.membership.voters)) {
            expect(overlaps(oldMajority, newMajority)).toBe(true);
          }
        }
      }),
      { seed: 13, numRuns: 1000 },
    );
  });

  it("a plan agrees with applying its operations one by one, and is refused exactly when they fail", () => {
    fc.assert(
      fc.property(config, fc.array(operation, { maxLength: 5 }), (m, ops) => {
        const result = planMembershipChange(m, change(ops, "auto"), false);
        const naive = naiveApply(m, ops);
        if (naive === null) {
          expect(result.ok).toBe(false);
          return;
        }
        expect(result.ok).toBe(true);
        if (!result.ok) return;
        const incoming = leaveJoint(result.plan.membership);
        expect(new Set(incoming.voters)).toEqual(new Set(naive.voters));
        expect(new Set(incoming.learners)).toEqual(new Set(naive.learners));
      }),
      { seed: 14, numRuns: 3000 },
    );
  });

  it("while joint, commitment needs both halves: the joint index is at most each half's", () => {
    fc.assert(
      fc.property(
        config,
        fc.array(operation, { minLength: 2, maxLength: 5 }),
        fc.array(fc.nat(9), { minLength: 7, maxLength: 7 }),
        (m, ops, values) => {
          const result = planMembershipChange(m, change(ops, "joint"), false);
          if (!result.ok) return;
          const next = result.plan.membership;
          const match = (id: NodeId) => values[ids.indexOf(id)]!;
          const joint = committedIndex(next, match);
          expect(joint).toBeLessThanOrEqual(
            committedIndex({ voters: m.voters, learners: [] }, match),
          );
          expect(joint).toBeLessThanOrEqual(committedIndex(leaveJoint(next), match));
        },
      ),
      { seed: 15, numRuns: 2000 },
    );
  });
});

function naiveApply(
  m: Membership,
  ops: readonly MembershipOperation[],
): { voters: NodeId[]; learners: NodeId[] } | null {
  if (ops.length === 0) return null;
  if (new Set(ops.map((op) => op.id)).size !== ops.length) return null;
  const voters = new Set(m.voters);
  const learners = new Set(m.learners);
  for (const op of ops) {
    const known = voters.has(op.id) || learners.has(op.id);
    if (op.type === "addVoter" || op.type === "addLearner") {
      if (known) return null;
      (op.type === "addVoter" ? voters : learners).add(op.id);
    } else if (op.type === "promote") {
      if (!learners.has(op.id)) return null;
      learners.delete(op.id);
      voters.add(op.id);
    } else if (op.type === "demote") {
      if (!voters.has(op.id)) return null;
      voters.delete(op.id);
      learners.add(op.id);
    } else {
      if (!known) return null;
      voters.delete(op.id);
      learners.delete(op.id);
    }
  }
  if (voters.size === 0) return null;
  return { voters: [...voters], learners: [...learners] };
}

/** Every minimal majority of `voters`. */
function majorities(voters: readonly NodeId[]): NodeId[][] {
  const need = Math.floor(voters.length / 2) + 1;
  const out: NodeId[][] = [];
  const pick = (start: number, chosen: NodeId[]) => {
    if (chosen.length === need) {
      out.push(chosen);
      return;
    }
    for (let i = start; i < voters.length; i++) pick(i + 1, [...chosen, voters[i]!]);
  };
  pick(0, []);
  return out;
}
