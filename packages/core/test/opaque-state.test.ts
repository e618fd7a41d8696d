// The public reducer hands out an opaque state: users step it and read it through `status`; its
// fields are reachable only through the runtime entry point's `internals`, and both views are the
// same object (no copy per step).

import { init, nodeId, type RaftState, status, step } from "@flotilla/core";
import { internals, type RaftStateInternals } from "@flotilla/core/runtime";
import { describe, expect, it } from "vitest";

const single = { id: nodeId("a"), voters: [nodeId("a")] };

describe("the public RaftState", () => {
  it("is stepped and read through status, without its fields", () => {
    let state: RaftState = init(single);
    state = step(state, { type: "campaign" }).state;
    expect(status(state).role).toBe("leader");
    // @ts-expect-error the fields are not part of the public type
    expect(state.role).toBe("leader");
  });

  it("opens to the full record through internals, as the same object", () => {
    const state = init(single);
    const full: RaftStateInternals = internals(state);
    expect(full).toBe(state);
    expect(full.term).toBe(0);
    expect(full.log.lastIndex).toBe(0);
  });

  it("cannot be made up from an object literal", () => {
    // @ts-expect-error a plain record is not a RaftState
    const fake: RaftState = { role: "leader" };
    expect(() => status(fake)).toThrow();
  });
});
