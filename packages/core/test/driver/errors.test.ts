// The errors' shape: a stable code, the class's name, and a stack only where one says something.
import { describe, expect, it } from "vitest";
import { NotLeaderError, SteppedDownError, StoppedError } from "../../src/driver/errors.js";
import { FlotillaError } from "../../src/errors.js";
import { nodeId } from "../../src/ids.js";

/** The frames of a stack ("    at ..." lines), empty when none was captured. */
const frames = (error: Error) =>
  (error.stack ?? "").split("\n").filter((line) => /^\s+at /.test(line));

describe("FlotillaError", () => {
  it("an expected outcome (not the leader, stepped down) captures no stack; a failure does", () => {
    const notLeader = new NotLeaderError(nodeId("n2"));
    expect(notLeader).toBeInstanceOf(FlotillaError);
    expect(notLeader).toBeInstanceOf(Error);
    expect(notLeader).toMatchObject({ code: "NOT_LEADER", name: "NotLeaderError", leader: "n2" });
    expect(notLeader.message).toBe("not the leader; try n2");
    expect(frames(notLeader)).toEqual([]);
    expect(frames(new SteppedDownError(3, 2, null))).toEqual([]);
    // Errors that report something going wrong keep theirs.
    expect(frames(new StoppedError())).not.toEqual([]);
    expect(frames(new FlotillaError("X", "x"))).not.toEqual([]);
  });

  it("the runtime's stack limit is left as it was", () => {
    const limit = (Error as { stackTraceLimit?: number }).stackTraceLimit;
    new NotLeaderError(null);
    expect((Error as { stackTraceLimit?: number }).stackTraceLimit).toBe(limit);
  });

  it("a cause is kept, with or without a stack", () => {
    const cause = new Error("disk");
    expect(new FlotillaError("X", "x", { cause }).cause).toBe(cause);
    expect(new FlotillaError("X", "x", { cause, stack: false }).cause).toBe(cause);
    expect("cause" in new FlotillaError("X", "x")).toBe(false);
  });
});
