import { type Entry, type Index, nodeId, type Term } from "@flotilla/core";
import { init, status, step } from "@flotilla/core/runtime";
import { describe, expect, it } from "vitest";

const [n1, n2, n3] = [nodeId("n1"), nodeId("n2"), nodeId("n3")];
const config = { id: n1, voters: [n1, n2, n3] };
const noop = (index: number, term: number): Entry => ({
  kind: "noop",
  index: index as Index,
  term: term as Term,
});

describe("init after a crash between the log write and the hard-state write", () => {
  // Storage makes a batch durable as snapshot, log, hard state: a crash in between can leave
  // entries of term 3 beside a hard state still at term 1 with a vote for n2.
  const persisted = {
    hardState: { term: 1 as Term, vote: n2, commit: 0 as Index },
    snapshot: null,
    entries: [noop(1, 1), noop(2, 3)],
  };

  it("starts at the log's last term, with no vote in it", () => {
    const s = status(init(config, persisted));
    expect(s.term).toBe(3);
    expect(s.vote).toBeNull();
  });

  it("campaigns above that term, never in it (term 3 may already have a leader)", () => {
    const r = step(init({ ...config, preVote: false }, persisted), { type: "campaign" });
    expect(status(r.state).term).toBe(4);
    const persist = r.effects.find((e) => e.type === "persist");
    expect(persist?.type === "persist" && persist.hardState).toEqual({
      term: 4,
      vote: n1,
      commit: 0,
    });
  });

  it("keeps the durable vote when the hard state is at the log's term", () => {
    const s = status(
      init(config, { ...persisted, hardState: { ...persisted.hardState, term: 3 as Term } }),
    );
    expect(s.term).toBe(3);
    expect(s.vote).toBe(n2);
  });
});
