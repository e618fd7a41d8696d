import { describe, expect, it } from "vitest";
import { LogMirror } from "../src/log-mirror.js";
import { SafetyChecker } from "../src/safety-checker.js";
import { apply, cmd, hard, ids, noop, persist, role } from "./fixtures.js";

// Each checker fires on a hand-made violating trace, and stays quiet on the legal trace next
// to it (a checker that fires on everything would pass the first half alone).

/** Node 0 leads term 1 and commits entries 1..2 with node 1 following. */
function committedTwo(): SafetyChecker {
  const c = new SafetyChecker(ids);
  c.observe(0, [
    role("leader", 1, "1"),
    persist({ entries: [noop(1, 1)], hardState: hard(1, "1", 0) }),
  ]);
  c.observe(0, [persist({ entries: [cmd(2, 1)] })]);
  c.observe(1, [
    role("follower", 1, "1"),
    persist({ entries: [noop(1, 1), cmd(2, 1)], hardState: hard(1, "1", 0) }),
  ]);
  c.observe(0, [persist({ hardState: hard(1, "1", 2) }), apply(noop(1, 1), cmd(2, 1))]);
  c.observe(1, [persist({ hardState: hard(1, "1", 2) }), apply(noop(1, 1), cmd(2, 1))]);
  expect(c.violation).toBeNull();
  return c;
}

describe("election safety", () => {
  it("fires on two leaders in one term", () => {
    const c = new SafetyChecker(ids);
    c.observe(0, [role("leader", 3, "1")]);
    c.observe(1, [role("leader", 4, "2")]);
    expect(c.violation).toBeNull();
    c.observe(2, [role("leader", 4, "3")]);
    expect(c.violation).toMatchObject({ kind: "electionSafety", node: "3" });
  });

  // pnpm sim --seed 1 --steps 200000 --nodes 5: the sole voter n1 won term 62 in one step, its
  // write failed before the term was on disk, and it came back in term 61 and voted n5 in.
  it("forgets a win whose term the node's disk never held, and only that", () => {
    const c = new SafetyChecker(ids);
    c.observe(0, [role("leader", 62, "1")]);
    c.restarted(0, hard(61, "2", 0), null, new LogMirror());
    c.observe(1, [role("leader", 62, "2")]);
    expect(c.violation).toBeNull();

    const durable = new SafetyChecker(ids);
    durable.observe(0, [role("leader", 62, "1"), persist({ hardState: hard(62, "1", 0) })]);
    durable.restarted(0, hard(62, "1", 0), null, new LogMirror());
    durable.observe(1, [role("leader", 62, "2")]);
    expect(durable.violation).toMatchObject({ kind: "electionSafety", node: "2" });
  });
});

describe("leader append-only", () => {
  it("fires when a leader truncates its log", () => {
    const c = committedTwo();
    c.observe(0, [persist({ entries: [cmd(3, 1)] })]);
    c.observe(0, [persist({ truncateFrom: 3, entries: [cmd(3, 1, "other")] })]);
    expect(c.violation).toMatchObject({ kind: "leaderAppendOnly", node: "1" });
  });

  it("fires when a leader appends an entry of another term", () => {
    const c = committedTwo();
    c.observe(0, [persist({ entries: [cmd(3, 2)] })]);
    expect(c.violation).toMatchObject({ kind: "leaderAppendOnly" });
  });

  it("accepts a leader that steps down and truncates in the same step", () => {
    const c = committedTwo();
    c.observe(0, [persist({ entries: [cmd(3, 1)] })]);
    c.observe(0, [
      persist({ truncateFrom: 3, entries: [cmd(3, 2)], hardState: hard(2, null, 2) }),
      role("follower", 2, "3"),
    ]);
    expect(c.violation).toBeNull();
  });
});

describe("log matching", () => {
  it("fires on one (index, term) with two contents", () => {
    const c = new SafetyChecker(ids);
    c.observe(0, [persist({ entries: [cmd(1, 1, "a")] })]);
    c.observe(1, [persist({ entries: [cmd(1, 1, "a")] })]);
    expect(c.violation).toBeNull();
    c.observe(2, [persist({ entries: [cmd(1, 1, "b")] })]);
    expect(c.violation).toMatchObject({ kind: "logMatching", node: "3" });
  });

  it("fires on one (index, term) after two different histories", () => {
    const c = new SafetyChecker(ids);
    c.observe(0, [persist({ entries: [cmd(1, 1), cmd(2, 3, "x")] })]);
    c.observe(1, [persist({ entries: [cmd(1, 2), cmd(2, 3, "x")] })]);
    expect(c.violation).toMatchObject({ kind: "logMatching", node: "2" });
  });

  it("fires when terms go down along a log", () => {
    const c = new SafetyChecker(ids);
    c.observe(0, [persist({ entries: [cmd(1, 2), cmd(2, 1)] })]);
    expect(c.violation).toMatchObject({ kind: "logMatching" });
  });
});

describe("leader completeness", () => {
  it("fires when a leader lacks an entry committed in an earlier term", () => {
    const c = committedTwo();
    c.observe(2, [
      role("leader", 2, "3"),
      persist({ entries: [noop(1, 2)], hardState: hard(2, "3", 0) }),
    ]);
    expect(c.violation).toMatchObject({ kind: "leaderCompleteness", node: "3" });
  });

  it("accepts a new leader holding every committed entry", () => {
    const c = committedTwo();
    c.observe(1, [
      role("leader", 2, "2"),
      persist({ entries: [noop(3, 2)], hardState: hard(2, "2", 2) }),
    ]);
    expect(c.violation).toBeNull();
  });
});

describe("state machine safety", () => {
  it("fires when two nodes commit different entries at one index", () => {
    const c = new SafetyChecker(ids);
    c.observe(0, [
      persist({ entries: [cmd(1, 1, "a")], hardState: hard(1, null, 1) }),
      apply(cmd(1, 1, "a")),
    ]);
    c.observe(1, [persist({ entries: [cmd(1, 2, "b")], hardState: hard(2, null, 0) })]);
    c.observe(1, [persist({ hardState: hard(2, null, 1) })]);
    expect(c.violation).toMatchObject({ kind: "stateMachineSafety", node: "2" });
  });

  it("fires on an applied entry that differs from another node's", () => {
    const c = new SafetyChecker(ids);
    c.observe(0, [
      persist({ entries: [cmd(1, 1, "a")], hardState: hard(1, null, 1) }),
      apply(cmd(1, 1, "a")),
    ]);
    c.observe(1, [persist({ entries: [cmd(1, 1, "a")], hardState: hard(1, null, 1) })]);
    c.observe(1, [apply(cmd(1, 1, "tampered"))]);
    expect(c.violation).toMatchObject({ kind: "stateMachineSafety", node: "2" });
  });
});

describe("commit and applied indexes never regress", () => {
  it("fires when the commit index goes down", () => {
    const c = committedTwo();
    c.observe(1, [persist({ hardState: hard(1, "1", 1) })]);
    expect(c.violation).toMatchObject({ kind: "commitRegressed", node: "2" });
  });

  it("fires when a follower truncates a committed entry", () => {
    const c = committedTwo();
    c.observe(1, [persist({ truncateFrom: 2, entries: [cmd(2, 2)], hardState: hard(2, null, 2) })]);
    expect(c.violation).toMatchObject({ kind: "commitRegressed", node: "2" });
  });

  it("fires when an index is skipped or applied twice", () => {
    const c = committedTwo();
    c.observe(0, [persist({ entries: [cmd(3, 1), cmd(4, 1)], hardState: hard(1, "1", 4) })]);
    c.observe(0, [apply(cmd(4, 1))]);
    expect(c.violation).toMatchObject({ kind: "appliedRegressed" });
  });

  it("fires when an entry is applied beyond the commit index", () => {
    const c = committedTwo();
    c.observe(0, [persist({ entries: [cmd(3, 1)] }), apply(cmd(3, 1))]);
    expect(c.violation).toMatchObject({ kind: "appliedRegressed" });
  });

  it("starts over after a restart: re-applying from 1 is legal", () => {
    const c = committedTwo();
    c.restarted(1, hard(1, "1", 1), null, c.mirror(1));
    c.observe(1, [apply(noop(1, 1))]);
    expect(c.violation).toBeNull();
  });
});

describe("no acknowledged write is lost", () => {
  it("fires when an acknowledged slot commits another entry", () => {
    const c = committedTwo();
    c.acknowledged(0, 3, 1);
    c.observe(2, [
      role("follower", 2),
      persist({ entries: [noop(1, 1), cmd(2, 1), cmd(3, 2)], hardState: hard(2, null, 3) }),
    ]);
    expect(c.violation).toMatchObject({ kind: "acknowledgedWriteLost", node: "3" });
  });

  it("fires at the end when the final leader's log lacks an acknowledged entry", () => {
    const c = committedTwo();
    c.acknowledged(0, 2, 1);
    c.checkAcknowledgedIn(1);
    expect(c.violation).toBeNull();
    c.observe(2, [persist({ entries: [cmd(1, 1, "other")] })]);
    c.checkAcknowledgedIn(2);
    expect(c.violation?.kind).toMatch(/logMatching|acknowledgedWriteLost/);
  });
});

describe("terms and votes", () => {
  it("fires when a node changes its vote within a term", () => {
    const c = new SafetyChecker(ids);
    c.observe(0, [persist({ hardState: hard(2, "2", 0) })]);
    c.observe(0, [persist({ hardState: hard(3, "3", 0) })]);
    expect(c.violation).toBeNull();
    c.observe(0, [persist({ hardState: hard(3, "2", 0) })]);
    expect(c.violation).toMatchObject({ kind: "termOrVoteRegressed", node: "1" });
  });

  it("fires when a restarted node votes again in the term it voted in before the crash", () => {
    const c = new SafetyChecker(ids);
    c.observe(0, [persist({ hardState: hard(2, "2", 0) })]);
    c.restarted(0, hard(2, "2", 0), null, new LogMirror());
    c.observe(0, [persist({ hardState: hard(2, "3", 0) })]);
    expect(c.violation).toMatchObject({ kind: "termOrVoteRegressed" });
  });

  it("fires when the term goes down", () => {
    const c = new SafetyChecker(ids);
    c.observe(0, [persist({ hardState: hard(5, null, 0) })]);
    c.observe(0, [persist({ hardState: hard(4, null, 0) })]);
    expect(c.violation).toMatchObject({ kind: "termOrVoteRegressed" });
  });
});

describe("malformed effects", () => {
  it("fires on a gap in appended entries", () => {
    const c = new SafetyChecker(ids);
    c.observe(0, [persist({ entries: [cmd(2, 1)] })]);
    expect(c.violation).toMatchObject({ kind: "malformedEffect" });
  });

  it("fires on a commit index beyond the log", () => {
    const c = new SafetyChecker(ids);
    c.observe(0, [persist({ entries: [cmd(1, 1)], hardState: hard(1, null, 2) })]);
    expect(c.violation).toMatchObject({ kind: "malformedEffect" });
  });
});

it("keeps the first violation", () => {
  const c = new SafetyChecker(ids);
  c.observe(0, [role("leader", 1)]);
  c.observe(1, [role("leader", 1)]);
  c.observe(2, [role("leader", 1)]);
  expect(c.violation?.node).toBe("2");
});
