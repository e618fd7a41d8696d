import type { NodeStatus } from "@flotilla/core";
import { describe, expect, it } from "vitest";
import { transferTarget } from "../src/hand-over.js";

/** A leader's status with the given peers' progress (only what transferTarget reads). */
function leaderStatus(
  peers: Record<string, { match: number; recentActive: boolean }>,
  voters = ["a", "b", "c"],
): NodeStatus {
  return {
    id: "a",
    role: "leader",
    membership: { voters, learners: [] },
    progress: peers,
  } as unknown as NodeStatus;
}

describe("transferTarget", () => {
  it("picks the recently heard voter holding the most of the log", () => {
    const status = leaderStatus({
      b: { match: 9, recentActive: false },
      c: { match: 7, recentActive: true },
    });
    expect(transferTarget(status)).toBe("c");
  });

  it("right after a CheckQuorum reset (no voter recent) still picks the most up-to-date one", () => {
    const status = leaderStatus({
      b: { match: 7, recentActive: false },
      c: { match: 9, recentActive: false },
    });
    expect(transferTarget(status)).toBe("c");
  });

  it("never picks itself or a learner, and breaks ties by id", () => {
    const status = leaderStatus(
      {
        a: { match: 20, recentActive: true },
        b: { match: 9, recentActive: true },
        c: { match: 9, recentActive: true },
        d: { match: 30, recentActive: true },
      },
      ["a", "b", "c"],
    );
    expect(transferTarget(status)).toBe("b");
  });

  it("is null on a follower and with no other voter", () => {
    expect(transferTarget({ ...leaderStatus({}), role: "follower" } as NodeStatus)).toBeNull();
    expect(transferTarget(leaderStatus({}, ["a"]))).toBeNull();
  });
});
