import type { Membership, NodeId } from "@flotilla/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { committedIndex, hasQuorum, voteOutcome } from "../src/quorum.js";

// Naive versions, straight from the definitions, to compare the optimised ones against.
function naiveCommitted(m: Membership, match: Map<string, number>): number {
  const candidates = new Set([0, ...match.values()]);
  let best = 0;
  for (const c of candidates) {
    const ok = (group: readonly NodeId[]) =>
      group.length === 0 ||
      group.filter((id) => (match.get(id) ?? 0) >= c).length * 2 > group.length;
    if (ok(m.voters) && (m.outgoing === undefined || ok(m.outgoing)) && c > best) best = c;
  }
  return best;
}

function naiveOutcome(m: Membership, votes: Map<string, boolean>): string {
  const one = (group: readonly NodeId[]) => {
    if (group.length === 0) return "won";
    const yes = group.filter((id) => votes.get(id) === true).length;
    const no = group.filter((id) => votes.get(id) === false).length;
    if (yes * 2 > group.length) return "won";
    if ((group.length - no) * 2 <= group.length) return "lost";
    return "pending";
  };
  const a = one(m.voters);
  if (m.outgoing === undefined) return a;
  const b = one(m.outgoing);
  if (a === "lost" || b === "lost") return "lost";
  return a === "won" && b === "won" ? "won" : "pending";
}

const ids = ["a", "b", "c", "d", "e", "f", "g"] as NodeId[];
const group = fc.subarray(ids, { minLength: 1 });
const membership: fc.Arbitrary<Membership> = fc.record(
  { voters: group, learners: fc.constant([]), outgoing: group },
  { requiredKeys: ["voters", "learners"] },
);

describe("quorum", () => {
  it("committedIndex equals the naive definition, joint configurations included", () => {
    fc.assert(
      fc.property(membership, fc.array(fc.nat(20), { minLength: 7, maxLength: 7 }), (m, values) => {
        const match = new Map(ids.map((id, i) => [id, values[i]!]));
        const expected = naiveCommitted(m, match);
        expect(committedIndex(m, (id) => match.get(id) ?? 0)).toBe(expected);
      }),
      { seed: 7, numRuns: 2000 },
    );
  });

  it("voteOutcome and hasQuorum equal the naive definition", () => {
    const answer = fc.constantFrom(true, false, undefined);
    fc.assert(
      fc.property(membership, fc.array(answer, { minLength: 7, maxLength: 7 }), (m, answers) => {
        const votes = new Map<string, boolean>();
        ids.forEach((id, i) => {
          if (answers[i] !== undefined) votes.set(id, answers[i]!);
        });
        expect(voteOutcome(m, (id) => votes.get(id))).toBe(naiveOutcome(m, votes));
        const active = (id: NodeId) => votes.get(id) === true;
        expect(hasQuorum(m, active)).toBe(naiveOutcome(m, votes) === "won");
      }),
      { seed: 11, numRuns: 2000 },
    );
  });

  it("a joint configuration needs both majorities", () => {
    const m: Membership = {
      voters: ["a", "b", "c"] as NodeId[],
      outgoing: ["d", "e", "f"] as NodeId[],
      learners: [],
    };
    const match = new Map([
      ["a", 5],
      ["b", 5],
      ["c", 5],
      ["d", 1],
      ["e", 2],
      ["f", 9],
    ]);
    expect(committedIndex(m, (id) => match.get(id)!)).toBe(2);
  });
});
