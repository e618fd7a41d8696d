import { describe, expect, it } from "vitest";
import type { NodeId } from "../src/ids.js";
import { initialProgress, withProgress } from "../src/progress.js";
import { trackConfiguration } from "../src/tracker.js";

const n = (id: number) => `n${id}` as NodeId;

describe("trackConfiguration: the leader's progress follows the configuration in force", () => {
  it("keeps the records of members who stay, adds fresh ones, drops those who left", () => {
    const known = new Map([
      [n(2), withProgress(initialProgress(5, 1, false), { match: 4 })],
      [n(3), initialProgress(5, 1, false)],
    ]);
    const tracked = trackConfiguration(
      { voters: [n(1), n(2), n(4)], learners: [n(5)] },
      n(1),
      known,
      9,
      7,
    );
    expect([...tracked.keys()]).toEqual([n(2), n(4), n(5)]);
    expect(tracked.get(n(2))).toBe(known.get(n(2)));
    expect(tracked.get(n(4))).toMatchObject({ match: 0, next: 9, sinceSeq: 7, isLearner: false });
    expect(tracked.get(n(5))).toMatchObject({ next: 9, isLearner: true });
  });

  it("a voter demoted in a joint change stays a voter until the joint configuration is left", () => {
    const joint = { voters: [n(1), n(2)], outgoing: [n(1), n(2), n(3)], learners: [n(3)] };
    const tracked = trackConfiguration(joint, n(1), new Map(), 3, 1);
    expect(tracked.get(n(3))!.isLearner).toBe(false);
    const left = trackConfiguration(
      { voters: [n(1), n(2)], learners: [n(3)] },
      n(1),
      tracked,
      4,
      2,
    );
    expect(left.get(n(3))!.isLearner).toBe(true);
    expect(left.get(n(2))).toBe(tracked.get(n(2)));
  });

  it("a promoted learner keeps its progress and becomes a voter's record", () => {
    const known = new Map([[n(2), withProgress(initialProgress(5, 1, true), { match: 4 })]]);
    const tracked = trackConfiguration({ voters: [n(1), n(2)], learners: [] }, n(1), known, 6, 3);
    expect(tracked.get(n(2))).toMatchObject({ match: 4, isLearner: false });
  });
});
