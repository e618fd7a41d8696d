import { describe, expect, it } from "vitest";
import type { NodeId } from "../src/ids.js";
import { initialProgress, withProgress } from "../src/progress.js";
import type { Draft } from "../src/state.js";
import {
  type LeaderState,
  setProgress,
  trackConfiguration,
  updateEveryProgress,
} from "../src/tracker.js";

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

describe("setProgress: one copy of the progress map per step, never a change to a kept state", () => {
  /** A step's draft as far as the tracker sees it (step.ts copies the state shallowly). */
  const draftOf = (leaderState: LeaderState) => ({ leaderState }) as unknown as Draft;

  it("a step's later changes go into its own copy; the state it started from keeps its map", () => {
    const before = new Map([
      [n(2), initialProgress(5, 1, false)],
      [n(3), initialProgress(5, 1, false)],
    ]);
    const kept = { progress: before, seq: 1 };
    const draft = draftOf(kept);
    setProgress(draft, n(2), withProgress(before.get(n(2))!, { match: 4 }), 2);
    const copy = draft.leaderState!.progress;
    setProgress(draft, n(3), withProgress(before.get(n(3))!, { match: 3 }), 3);
    updateEveryProgress(draft, (pr) => withProgress(pr, { recentActive: true }));
    expect(draft.leaderState!.progress).toBe(copy);
    expect(draft.leaderState).toMatchObject({ seq: 3 });
    expect([...copy.values()].map((pr) => [pr.match, pr.recentActive])).toEqual([
      [4, true],
      [3, true],
    ]);
    // The state the step started from is untouched.
    expect(kept).toEqual({ progress: before, seq: 1 });
    expect([...before.values()].map((pr) => pr.match)).toEqual([0, 0]);
    expect(before.get(n(2))!.recentActive).toBe(initialProgress(5, 1, false).recentActive);

    // The next step starts from the state this one returned: it copies again, and that state
    // (which time travel may show or step again) keeps its map as it was returned.
    const returned = draft.leaderState!;
    const next = draftOf(returned);
    setProgress(next, n(2), withProgress(copy.get(n(2))!, { match: 5 }));
    expect(next.leaderState!.progress).not.toBe(copy);
    expect(copy.get(n(2))!.match).toBe(4);
    expect(next.leaderState!.progress.get(n(2))!.match).toBe(5);
  });
});
